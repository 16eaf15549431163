using System.Runtime.CompilerServices;
using Bpftime.Elf;

namespace Bpftime.Linking.Native;

/// <summary>
/// A byte buffer for the linker's few hand-encoded x86-64 routines, placed at a known offset of the
/// linked block: rel32 references to block offsets and to labels are patched once all are known.
/// It runs at every link, so it keeps bytes, labels and fixups in arrays it grows itself and takes
/// instruction bytes as arguments (no framework list, no array per instruction).
/// </summary>
internal sealed class CodeWriter(int baseOffset)
{
    private byte[] _bytes = new byte[512];
    private int _length;
    // Label fixups: the field's offset in the buffer (negated and less one for a rel8) and the label's id.
    private int[] _fixupFields = new int[16];
    private int[] _fixupLabels = new int[16];
    private int _fixupCount;
    private int[] _labels = new int[16];
    private int _labelCount;

    /// <summary>Block offset of the next byte.</summary>
    public int Position => baseOffset + _length;

    public int Length => _length;

    public void Emit(byte b0)
    {
        Reserve(1);
        _bytes[_length++] = b0;
    }

    public void Emit(byte b0, byte b1)
    {
        Reserve(2);
        _bytes[_length++] = b0;
        _bytes[_length++] = b1;
    }

    public void Emit(byte b0, byte b1, byte b2)
    {
        Reserve(3);
        _bytes[_length++] = b0;
        _bytes[_length++] = b1;
        _bytes[_length++] = b2;
    }

    public void Emit(byte b0, byte b1, byte b2, byte b3)
    {
        Reserve(4);
        _bytes[_length++] = b0;
        _bytes[_length++] = b1;
        _bytes[_length++] = b2;
        _bytes[_length++] = b3;
    }

    public void Emit(byte b0, byte b1, byte b2, byte b3, byte b4)
    {
        Emit(b0, b1, b2, b3);
        Emit(b4);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void EmitInt32(int value)
    {
        Reserve(4);
        LittleEndianBytes.WriteInt32(_bytes, _length, value);
        _length += 4;
    }

    public void EmitUInt64(ulong value)
    {
        Reserve(8);
        LittleEndianBytes.WriteUInt64(_bytes, _length, value);
        _length += 8;
    }

    /// <summary>A rel32 field whose target is the block offset <paramref name="target"/>, relative to the end of the field.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void EmitRelative32To(int target)
    {
        var next = Position + 4;
        EmitInt32(target - next);
    }

    /// <summary>A rel32 field to a label bound before or after.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void EmitRelative32To(Label label)
    {
        AddFixup(_length, label.Id);
        EmitInt32(0);
    }

    /// <summary>A rel8 field to a label bound before or after (the caller keeps the distance short).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void EmitRelative8To(Label label)
    {
        AddFixup(-_length - 1, label.Id);
        Emit(0);
    }

    public void Align(int alignment, byte filler = 0xcc)
    {
        while (Position % alignment != 0)
        {
            Emit(filler);
        }
    }

    public byte[] ToArray()
    {
        var bytes = new byte[_length];
        Array.Copy(_bytes, bytes, _length);
        for (var i = 0; i < _fixupCount; i++)
        {
            var isShort = _fixupFields[i] < 0;
            var field = isShort ? -_fixupFields[i] - 1 : _fixupFields[i];
            var target = _labels[_fixupLabels[i]];
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
                LittleEndianBytes.WriteInt32(bytes, field, target - (baseOffset + field + 4));
            }
        }
        return bytes;
    }

    public readonly struct Label(int id)
    {
        public int Id => id;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Label CreateLabel()
    {
        if (_labelCount == _labels.Length)
        {
            _labels = Grown(_labels);
        }
        _labels[_labelCount] = -1;
        return new Label(_labelCount++);
    }

    public void Bind(Label label) => _labels[label.Id] = Position;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void AddFixup(int field, int label)
    {
        if (_fixupCount == _fixupFields.Length)
        {
            _fixupFields = Grown(_fixupFields);
            _fixupLabels = Grown(_fixupLabels);
        }
        _fixupFields[_fixupCount] = field;
        _fixupLabels[_fixupCount++] = label;
    }

    // The check inline, the growing apart: the linker's routines fit the first buffer unless a
    // module binds dozens of helpers, so a load never calls Grow.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Reserve(int count)
    {
        if (_length + count > _bytes.Length)
        {
            Grow(count);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Grow(int count)
    {
        var grown = new byte[Math.Max(_bytes.Length * 2, _length + count)];
        Array.Copy(_bytes, grown, _length);
        _bytes = grown;
    }

    private static int[] Grown(int[] values)
    {
        var grown = new int[values.Length * 2];
        values.CopyTo(grown, 0);
        return grown;
    }
}
