namespace Bpftime.Isa;

/// <summary>The src field of a call instruction with the immediate source.</summary>
public enum CallSource : byte
{
    /// <summary>imm is a helper id.</summary>
    Helper = 0,
    /// <summary>imm is the offset of a local function, relative to the next instruction.</summary>
    Local = 1,
    /// <summary>imm is the BTF id of a kernel function (kfunc).</summary>
    KernelFunction = 2,
}
