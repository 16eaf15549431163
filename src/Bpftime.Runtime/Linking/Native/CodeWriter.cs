using System.Buffers.Binary;

namespace Bpftime.Linking.Native;

/// <summary>
/// A byte buffer for the linker's few hand-encoded x86-64 routines, placed at a known offset of the
/// linked block: rel32 references to block offsets and to labels are patched once all are known.
/// </summary>
internal sealed class CodeWriter(int baseOffset)
{
    private readonly List<byte> _bytes = [];
    private readonly List<(int Field, int Label)> _labelFixups = [];
    private readonly List<int> _labels = [];

    /// <summary>Block offset of the next byte.</summary>
    public int Position => baseOffset + _bytes.Count;

    public int Length => _bytes.Count;

    public void Emit(params byte[] bytes) => _bytes.AddRange(bytes);

    public void EmitUInt64(ulong value)
    {
        Span<byte> buffer = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(buffer, value);
        _bytes.AddRange(buffer.ToArray());
    }

    /// <summary>A rel32 field whose target is the block offset <paramref name="target"/>, relative to the end of the field.</summary>
    public void EmitRelative32To(int target)
    {
        var next = Position + 4;
        EmitInt32(target - next);
    }

    /// <summary>A rel32 field to a label bound before or after.</summary>
    public void EmitRelative32To(Label label)
    {
        _labelFixups.Add((_bytes.Count, label.Id));
        EmitInt32(0);
    }

    /// <summary>A rel8 field to a label bound before or after (the caller keeps the distance short).</summary>
    public void EmitRelative8To(Label label)
    {
        _labelFixups.Add((_bytes.Count | int.MinValue, label.Id));
        _bytes.Add(0);
    }

    public void Align(int alignment, byte filler = 0xcc)
    {
        while (Position % alignment != 0)
        {
            _bytes.Add(filler);
        }
    }

    public byte[] ToArray()
    {
        var bytes = _bytes.ToArray();
        foreach (var (rawField, label) in _labelFixups)
        {
            var isShort = rawField < 0;
            var field = rawField & int.MaxValue;
            var target = _labels[label];
            if (target < 0)
            {
                throw new InvalidOperationException("a label was used but never bound");
            }
            if (isShort)
            {
                var distance = target - (baseOffset + field + 1);
                bytes[field] = unchecked((byte)checked((sbyte)distance));
            }
            else
            {
                BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(field), target - (baseOffset + field + 4));
            }
        }
        return bytes;
    }

    private void EmitInt32(int value)
    {
        Span<byte> buffer = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(buffer, value);
        _bytes.AddRange(buffer.ToArray());
    }

    public readonly record struct Label(int Id);

    public Label CreateLabel()
    {
        _labels.Add(-1);
        return new Label(_labels.Count - 1);
    }

    public void Bind(Label label) => _labels[label.Id] = Position;
}
