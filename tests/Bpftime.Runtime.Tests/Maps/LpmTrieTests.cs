using Bpftime.Maps;
using Bpftime.Objects;

namespace Bpftime.Tests.Maps;

public class LpmTrieTests
{
    private static byte[] Key(int prefix, params byte[] address)
    {
        var key = new byte[8];
        BitConverter.GetBytes(prefix).CopyTo(key, 0);
        address.CopyTo(key, 4);
        return key;
    }

    private static unsafe uint? Find(LpmTrieMap trie, byte[] key)
    {
        var value = trie.Lookup(key);
        return value == 0 ? null : *(uint*)value;
    }

    [Fact]
    public void LongestPrefixWins()
    {
        using var trie = new LpmTrieMap(new MapSpec("lpm", MapType.LpmTrie, 8, 4, 16, Flags: 1));
        Assert.Equal(0, trie.Update(Key(8, 10), BitConverter.GetBytes(8U), 0));
        Assert.Equal(0, trie.Update(Key(16, 10, 1), BitConverter.GetBytes(16U), 0));
        Assert.Equal(0, trie.Update(Key(24, 10, 1, 2), BitConverter.GetBytes(24U), 0));
        Assert.Equal(0, trie.Update(Key(0), BitConverter.GetBytes(0U), 0));
        Assert.Equal(24U, Find(trie, Key(32, 10, 1, 2, 3)));
        Assert.Equal(16U, Find(trie, Key(32, 10, 1, 3, 3)));
        Assert.Equal(8U, Find(trie, Key(32, 10, 2, 2, 3)));
        Assert.Equal(0U, Find(trie, Key(32, 11, 1, 2, 3)));
        Assert.Equal(8U, Find(trie, Key(12, 10, 1, 2, 3))); // the lookup's own prefix bounds the match
        Assert.Equal(0, trie.Delete(Key(16, 10, 1)));
        Assert.Equal(8U, Find(trie, Key(32, 10, 1, 3, 3)));
        Assert.Equal(-Errno.ENOENT, trie.Delete(Key(16, 10, 1)));
        Assert.Equal(-Errno.EINVAL, trie.Update(Key(33, 10), BitConverter.GetBytes(1U), 0));
        Assert.Equal(-Errno.EEXIST, trie.Update(Key(8, 10), BitConverter.GetBytes(1U), MapUpdateFlags.NoExist));
        Assert.Equal(-Errno.ENOENT, trie.Update(Key(9, 10), BitConverter.GetBytes(1U), MapUpdateFlags.Exist));
        Assert.Equal(3, trie.Count);
    }

    [Fact]
    public void FullTrieRefusesAndIteratesAllPrefixes()
    {
        using var trie = new LpmTrieMap(new MapSpec("lpm", MapType.LpmTrie, 8, 4, 3));
        trie.Update(Key(8, 10), BitConverter.GetBytes(1U), 0);
        trie.Update(Key(16, 10, 5), BitConverter.GetBytes(2U), 0);
        trie.Update(Key(24, 192, 168, 1), BitConverter.GetBytes(3U), 0);
        Assert.Equal(-Errno.ENOSPC, trie.Update(Key(24, 192, 168, 2), BitConverter.GetBytes(4U), 0));
        var keys = new List<string>();
        var key = Array.Empty<byte>();
        var next = new byte[8];
        while (trie.GetNextKey(key, next) == 0)
        {
            keys.Add(Convert.ToHexString(next));
            key = (byte[])next.Clone();
        }
        Assert.Equal(3, keys.Distinct().Count());
    }
}
