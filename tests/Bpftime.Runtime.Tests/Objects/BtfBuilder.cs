using System.Buffers.Binary;
using System.Text;
using Bpftime.Objects;

namespace Bpftime.Tests.Objects;

/// <summary>Writes .BTF sections by hand, so tests can state every kind and every corruption exactly.</summary>
internal sealed class BtfBuilder
{
    private readonly List<byte> _strings = [0];
    private readonly List<uint> _types = [];
    private uint _count;

    public uint Name(string name)
    {
        if (name.Length == 0)
        {
            return 0;
        }
        var offset = (uint)_strings.Count;
        _strings.AddRange(Encoding.UTF8.GetBytes(name));
        _strings.Add(0);
        return offset;
    }

    /// <summary>Adds a type and returns its id.</summary>
    public uint Add(BtfKind kind, string name, uint sizeOrType, int vlen = 0, bool kindFlag = false, params uint[] tail)
    {
        _types.Add(Name(name));
        _types.Add((uint)vlen | ((uint)kind << 24) | (kindFlag ? 1u << 31 : 0));
        _types.Add(sizeOrType);
        _types.AddRange(tail);
        return ++_count;
    }

    public byte[] Build(Action<byte[]>? corrupt = null)
    {
        var typeBytes = _types.Count * 4;
        var bytes = new byte[24 + typeBytes + _strings.Count];
        BinaryPrimitives.WriteUInt16LittleEndian(bytes, Btf.Magic);
        bytes[2] = 1;
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), 24);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), 0);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(12), (uint)typeBytes);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(16), (uint)typeBytes);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(20), (uint)_strings.Count);
        for (var i = 0; i < _types.Count; i++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(24 + (i * 4)), _types[i]);
        }
        _strings.CopyTo(bytes, 24 + typeBytes);
        corrupt?.Invoke(bytes);
        return bytes;
    }
}
