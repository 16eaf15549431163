using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Bpftime.Diagnostics;
using Bpftime.Engines.Checked;
using Bpftime.Execution;
using Bpftime.Helpers;
using Bpftime.Maps;

namespace Bpftime.Engines.Interpreter;

/// <summary>
/// A program decoded for the interpreter. Everything here is read-only after construction: each run
/// keeps its registers, frames and stack on the calling thread's stack, so any number of threads may
/// run the same executable at once.
/// </summary>
internal sealed unsafe class InterpreterExecutable : IBpfExecutable, ITailCallTarget, ITailCallRunnable
{
    [ThreadStatic]
    private static int t_callbackDepth;

    // What is left of the execution budget of the checked run on this thread, handed from a run to
    // the callbacks its helpers start and back (they share one budget).
    [ThreadStatic]
    private static ulong t_budget;

    private readonly DecodedInstruction[] _code;
    private readonly HelperFunction[] _helpers;
    private readonly Dictionary<long, HelperFunction> _helpersById;
    private readonly (BpfMap Map, MemoryRegion[] Regions)[] _mapRegions;
    private readonly IReadOnlyList<BpfMap> _maps;
    private readonly bool _verified;
    /// <summary>Verified code whose loops were not all proven to end still spends the budget (memory unchecked).</summary>
    private readonly bool _terminationProven;
    /// <summary>Whether every frame starts zeroed: checked code, and verified code whose %s may read on past its writes.</summary>
    private readonly bool _zeroesFrames;
    private readonly long _budget;
    private readonly int _frameSize;
    private readonly int _length;
    private readonly bool _usesTailCalls;
    private readonly string _name;
    private readonly string _helperTableName;
    private readonly string? _origin;
    // Keeps the callback trampolines alive: their entry points are handed to native code as numbers.
    private readonly List<HelperImplementation> _callbackBodies = [];
    private volatile bool _disposed;

    public InterpreterExecutable(ProgramImage image, EngineOptions options)
    {
        _budget = options.ExecutionBudget;
        if (image.StackSize is < 0 or > InterpreterEngine.MaxStackSize)
        {
            throw new BpfException(new BpfDiagnostic(DiagnosticCodes.InvalidStackSize,
                $"a stack of {image.StackSize} bytes per frame was asked for; the interpreter provides 0 to {InterpreterEngine.MaxStackSize}",
                File: image.Origin, Program: image.Name));
        }
        var decoder = ProgramDecoder.Decode(image);
        _code = decoder.Code;
        _length = image.Instructions.Length;
        _helpers = decoder.Helpers;
        _helpersById = image.Helpers.ToDictionary(h => (long)h.Id);
        _usesTailCalls = _helpers.Any(h => h.Id == Helpers.HelperIds.TailCall);
        _maps = [.. image.Maps];
        // A map of maps' regions change with its slots: it is asked on each access, never copied.
        _mapRegions = [.. _maps.Select(m => (m, m.HoldsMaps ? [] : m.ValueRegions.ToArray()))];
        _verified = image.Verified;
        _terminationProven = image.TerminationProven;
        _zeroesFrames = !_verified || StringReaders.CanReadStrings(image.Instructions.Span);
        // At least 8 bytes and a multiple of 8, so that frames stay aligned for 64-bit atomics.
        _frameSize = Math.Max(8, (image.StackSize + 7) & ~7);
        _name = image.Name;
        _helperTableName = image.Helpers.Name;
        _origin = image.Origin;
        foreach (var (instruction, function) in decoder.FunctionAddresses)
        {
            var target = function;
            HelperImplementation body = (r1, r2, r3, r4, r5) => RunCallback(target, r1, r2, r3, r4, r5);
            _callbackBodies.Add(body);
            _code[instruction].Imm = Marshal.GetFunctionPointerForDelegate(body);
            ProgramCallback.Register((nint)_code[instruction].Imm, this);
        }
    }

    public string EngineName => InterpreterEngine.EngineName;

    public ulong Execute(nint context, ulong contextLength)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!_usesTailCalls)
        {
            return RunEntry(context, contextLength);
        }
        return TailCallChain<InterpreterExecutable>.Run(this, context, contextLength);
    }

    /// <summary>Arms a tail call into this program for the interpreter run active on this thread.</summary>
    public long ArmTailCall() => TailCallChain<InterpreterExecutable>.Arm(this);

    bool ITailCallRunnable.CanBeEntered => !_disposed;

    ulong ITailCallRunnable.RunOnce(nint context, ulong contextLength) => RunEntry(context, contextLength);

    private ulong RunEntry(nint context, ulong contextLength)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var start = (ulong)context;
        // A null context has no bytes, whatever length the caller gave.
        var length = context == 0 ? 0 : contextLength;
        var run = ActiveRuns.Enter(this, !_verified, start, length, _maps, _name, _origin);
        try
        {
            if (_verified && _terminationProven)
            {
                return Run<TrustedMode>(0, start, contextLength, 0, 0, 0, start, length, callback: false);
            }
            // A run nested in another's helper (another program run from a helper) gets its own budget.
            var outerBudget = t_budget;
            t_budget = (ulong)_budget;
            try
            {
                return _verified
                    ? Run<CountedMode>(0, start, contextLength, 0, 0, 0, start, length, callback: false)
                    : Run<CheckedMode>(0, start, contextLength, 0, 0, 0, start, length, callback: false);
            }
            finally
            {
                t_budget = outerBudget;
            }
        }
        finally
        {
            ActiveRuns.Leave(run);
        }
    }

    public void Dispose()
    {
        _disposed = true;
        ProgramCallback.Unregister(this);
    }

    /// <summary>Runs a program-local function for a callback helper, nested inside the run that called the helper.</summary>
    private ulong RunCallback(int function, ulong r1, ulong r2, ulong r3, ulong r4, ulong r5)
    {
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            // The callback's run, entered by ProgramCallback.Invoke, carries the caller's context.
            var run = ActiveRuns.Current;
            if (t_callbackDepth >= InterpreterEngine.MaxFrames)
            {
                throw new BpfException(new BpfDiagnostic(DiagnosticCodes.CallDepthExceeded,
                    $"callbacks nested more than {InterpreterEngine.MaxFrames} deep (function at instruction {function})",
                    File: _origin, Program: _name, InstructionIndex: function));
            }
            t_callbackDepth++;
            try
            {
                var contextStart = run?.ContextStart ?? 0;
                var contextLength = run?.ContextLength ?? 0;
                return !_verified ? Run<CheckedMode>(function, r1, r2, r3, r4, r5, contextStart, contextLength, callback: true)
                    : _terminationProven ? Run<TrustedMode>(function, r1, r2, r3, r4, r5, contextStart, contextLength, callback: true)
                    : Run<CountedMode>(function, r1, r2, r3, r4, r5, contextStart, contextLength, callback: true);
            }
            finally
            {
                t_callbackDepth--;
            }
        }
        catch (Exception fault)
        {
            // Exceptions must not cross the native frames between the helper and this entry point.
            ProgramCallback.RecordFault(fault);
            return 0;
        }
    }

    // Fully optimised from the first run: tier-0 code of this loop is several times slower.
    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private ulong Run<TMode>(int entry, ulong r1, ulong r2, ulong r3, ulong r4, ulong r5, ulong contextStart, ulong contextLength, bool callback)
        where TMode : struct, IExecutionMode
    {
        const int MaxFrames = InterpreterEngine.MaxFrames;
        const int SavedPerFrame = 5; // r6-r9 and the return index
        var frameSize = _frameSize;
        var stack = stackalloc byte[frameSize * MaxFrames];
        var r = stackalloc ulong[16];
        var saved = stackalloc ulong[MaxFrames * SavedPerFrame];
        // Frame 0 is at the top of the block; each local call's frame sits just below its caller's.
        var stackTop = (ulong)stack + (ulong)(frameSize * MaxFrames);
        var depth = 0;

        AccessGuard guard = default;
        if (TMode.ChecksMemory)
        {
            guard.ContextStart = contextStart;
            guard.ContextLength = contextLength;
            guard.StackTop = stackTop;
            guard.StackLow = stackTop - (ulong)frameSize;
            guard.StackBlockLow = (ulong)stack;
            guard.FrameSize = (ulong)frameSize;
            guard.MapRegions = _mapRegions;
            guard.Maps = _maps;
            guard.ProgramName = _name;
            guard.Origin = _origin;
            // Unverified code may read stack it never wrote: it must see zeros, not the host's old data.
            new Span<byte>((void*)guard.StackLow, frameSize).Clear();
        }
        else
        {
            // Helpers still learn where the frames are (a %s argument must lie in memory the program owns).
            guard.StackTop = stackTop;
            guard.FrameSize = (ulong)frameSize;
            if (_zeroesFrames)
            {
                // A %s string may run on past what the program wrote: it must meet zeros, not stale bytes.
                new Span<byte>((void*)(stackTop - (ulong)frameSize), frameSize).Clear();
            }
        }

        // Runs not proven to end count backward jumps, local calls and callbacks (this one, when it is one).
        ulong budget = 0;
        if (TMode.CountsBudget)
        {
            budget = t_budget;
            if (callback)
            {
                if (budget == 0)
                {
                    throw BudgetSpent(entry);
                }
                budget--;
            }
        }

        new Span<ulong>(r, 16).Clear();
        r[1] = r1;
        r[2] = r2;
        r[3] = r3;
        r[4] = r4;
        r[5] = r5;
        r[10] = stackTop;

        ref var code = ref MemoryMarshal.GetArrayDataReference(_code);
        var pc = entry;
        while (true)
        {
            ref readonly var ins = ref Unsafe.Add(ref code, pc);
            switch (ins.Op)
            {
                // ---- 64-bit arithmetic: the immediate is sign-extended to 64 bits.
                case InterpreterOp.Add64Imm: r[ins.Dst] += (ulong)ins.Imm; break;
                case InterpreterOp.Add64Reg: r[ins.Dst] += r[ins.Src]; break;
                case InterpreterOp.Sub64Imm: r[ins.Dst] -= (ulong)ins.Imm; break;
                case InterpreterOp.Sub64Reg: r[ins.Dst] -= r[ins.Src]; break;
                case InterpreterOp.Mul64Imm: r[ins.Dst] *= (ulong)ins.Imm; break;
                case InterpreterOp.Mul64Reg: r[ins.Dst] *= r[ins.Src]; break;
                case InterpreterOp.Div64Imm: r[ins.Dst] = Alu.Div64(r[ins.Dst], (ulong)ins.Imm); break;
                case InterpreterOp.Div64Reg: r[ins.Dst] = Alu.Div64(r[ins.Dst], r[ins.Src]); break;
                case InterpreterOp.SDiv64Imm: r[ins.Dst] = Alu.SDiv64(r[ins.Dst], (ulong)ins.Imm); break;
                case InterpreterOp.SDiv64Reg: r[ins.Dst] = Alu.SDiv64(r[ins.Dst], r[ins.Src]); break;
                case InterpreterOp.Mod64Imm: r[ins.Dst] = Alu.Mod64(r[ins.Dst], (ulong)ins.Imm); break;
                case InterpreterOp.Mod64Reg: r[ins.Dst] = Alu.Mod64(r[ins.Dst], r[ins.Src]); break;
                case InterpreterOp.SMod64Imm: r[ins.Dst] = Alu.SMod64(r[ins.Dst], (ulong)ins.Imm); break;
                case InterpreterOp.SMod64Reg: r[ins.Dst] = Alu.SMod64(r[ins.Dst], r[ins.Src]); break;
                case InterpreterOp.Or64Imm: r[ins.Dst] |= (ulong)ins.Imm; break;
                case InterpreterOp.Or64Reg: r[ins.Dst] |= r[ins.Src]; break;
                case InterpreterOp.And64Imm: r[ins.Dst] &= (ulong)ins.Imm; break;
                case InterpreterOp.And64Reg: r[ins.Dst] &= r[ins.Src]; break;
                case InterpreterOp.Xor64Imm: r[ins.Dst] ^= (ulong)ins.Imm; break;
                case InterpreterOp.Xor64Reg: r[ins.Dst] ^= r[ins.Src]; break;
                case InterpreterOp.Lsh64Imm: r[ins.Dst] <<= (int)(ins.Imm & 63); break;
                case InterpreterOp.Lsh64Reg: r[ins.Dst] <<= (int)(r[ins.Src] & 63); break;
                case InterpreterOp.Rsh64Imm: r[ins.Dst] >>= (int)(ins.Imm & 63); break;
                case InterpreterOp.Rsh64Reg: r[ins.Dst] >>= (int)(r[ins.Src] & 63); break;
                case InterpreterOp.Arsh64Imm: r[ins.Dst] = (ulong)((long)r[ins.Dst] >> (int)(ins.Imm & 63)); break;
                case InterpreterOp.Arsh64Reg: r[ins.Dst] = (ulong)((long)r[ins.Dst] >> (int)(r[ins.Src] & 63)); break;
                case InterpreterOp.Neg64: r[ins.Dst] = (ulong)-(long)r[ins.Dst]; break;
                case InterpreterOp.Mov64Imm: r[ins.Dst] = (ulong)ins.Imm; break;
                case InterpreterOp.Mov64Reg: r[ins.Dst] = r[ins.Src]; break;
                case InterpreterOp.MovSx8To64: r[ins.Dst] = (ulong)(sbyte)r[ins.Src]; break;
                case InterpreterOp.MovSx16To64: r[ins.Dst] = (ulong)(short)r[ins.Src]; break;
                case InterpreterOp.MovSx32To64: r[ins.Dst] = (ulong)(int)r[ins.Src]; break;
                case InterpreterOp.Bswap16: r[ins.Dst] = BinaryPrimitives.ReverseEndianness((ushort)r[ins.Dst]); break;
                case InterpreterOp.Bswap32: r[ins.Dst] = BinaryPrimitives.ReverseEndianness((uint)r[ins.Dst]); break;
                case InterpreterOp.Bswap64: r[ins.Dst] = BinaryPrimitives.ReverseEndianness(r[ins.Dst]); break;

                // ---- 32-bit arithmetic: operands are the low halves, results are zero-extended.
                case InterpreterOp.Add32Imm: r[ins.Dst] = (uint)r[ins.Dst] + (uint)ins.Imm; break;
                case InterpreterOp.Add32Reg: r[ins.Dst] = (uint)r[ins.Dst] + (uint)r[ins.Src]; break;
                case InterpreterOp.Sub32Imm: r[ins.Dst] = (uint)r[ins.Dst] - (uint)ins.Imm; break;
                case InterpreterOp.Sub32Reg: r[ins.Dst] = (uint)r[ins.Dst] - (uint)r[ins.Src]; break;
                case InterpreterOp.Mul32Imm: r[ins.Dst] = (uint)r[ins.Dst] * (uint)ins.Imm; break;
                case InterpreterOp.Mul32Reg: r[ins.Dst] = (uint)r[ins.Dst] * (uint)r[ins.Src]; break;
                case InterpreterOp.Div32Imm: r[ins.Dst] = Alu.Div32((uint)r[ins.Dst], (uint)ins.Imm); break;
                case InterpreterOp.Div32Reg: r[ins.Dst] = Alu.Div32((uint)r[ins.Dst], (uint)r[ins.Src]); break;
                case InterpreterOp.SDiv32Imm: r[ins.Dst] = Alu.SDiv32((uint)r[ins.Dst], (uint)ins.Imm); break;
                case InterpreterOp.SDiv32Reg: r[ins.Dst] = Alu.SDiv32((uint)r[ins.Dst], (uint)r[ins.Src]); break;
                case InterpreterOp.Mod32Imm: r[ins.Dst] = Alu.Mod32((uint)r[ins.Dst], (uint)ins.Imm); break;
                case InterpreterOp.Mod32Reg: r[ins.Dst] = Alu.Mod32((uint)r[ins.Dst], (uint)r[ins.Src]); break;
                case InterpreterOp.SMod32Imm: r[ins.Dst] = Alu.SMod32((uint)r[ins.Dst], (uint)ins.Imm); break;
                case InterpreterOp.SMod32Reg: r[ins.Dst] = Alu.SMod32((uint)r[ins.Dst], (uint)r[ins.Src]); break;
                case InterpreterOp.Or32Imm: r[ins.Dst] = (uint)r[ins.Dst] | (uint)ins.Imm; break;
                case InterpreterOp.Or32Reg: r[ins.Dst] = (uint)r[ins.Dst] | (uint)r[ins.Src]; break;
                case InterpreterOp.And32Imm: r[ins.Dst] = (uint)r[ins.Dst] & (uint)ins.Imm; break;
                case InterpreterOp.And32Reg: r[ins.Dst] = (uint)r[ins.Dst] & (uint)r[ins.Src]; break;
                case InterpreterOp.Xor32Imm: r[ins.Dst] = (uint)r[ins.Dst] ^ (uint)ins.Imm; break;
                case InterpreterOp.Xor32Reg: r[ins.Dst] = (uint)r[ins.Dst] ^ (uint)r[ins.Src]; break;
                case InterpreterOp.Lsh32Imm: r[ins.Dst] = (uint)r[ins.Dst] << (int)(ins.Imm & 31); break;
                case InterpreterOp.Lsh32Reg: r[ins.Dst] = (uint)r[ins.Dst] << (int)(r[ins.Src] & 31); break;
                case InterpreterOp.Rsh32Imm: r[ins.Dst] = (uint)r[ins.Dst] >> (int)(ins.Imm & 31); break;
                case InterpreterOp.Rsh32Reg: r[ins.Dst] = (uint)r[ins.Dst] >> (int)(r[ins.Src] & 31); break;
                case InterpreterOp.Arsh32Imm: r[ins.Dst] = (uint)((int)r[ins.Dst] >> (int)(ins.Imm & 31)); break;
                case InterpreterOp.Arsh32Reg: r[ins.Dst] = (uint)((int)r[ins.Dst] >> (int)(r[ins.Src] & 31)); break;
                case InterpreterOp.Neg32: r[ins.Dst] = (uint)-(int)r[ins.Dst]; break;
                case InterpreterOp.Mov32Imm: r[ins.Dst] = (uint)ins.Imm; break;
                case InterpreterOp.Mov32Reg: r[ins.Dst] = (uint)r[ins.Src]; break;
                case InterpreterOp.MovSx8To32: r[ins.Dst] = (uint)(sbyte)r[ins.Src]; break;
                case InterpreterOp.MovSx16To32: r[ins.Dst] = (uint)(short)r[ins.Src]; break;
                // To little endian is a truncation on a little-endian host; to big endian a swap.
                case InterpreterOp.Le16: r[ins.Dst] = (ushort)r[ins.Dst]; break;
                case InterpreterOp.Le32: r[ins.Dst] = (uint)r[ins.Dst]; break;
                case InterpreterOp.Le64: break;
                case InterpreterOp.Be16: r[ins.Dst] = BinaryPrimitives.ReverseEndianness((ushort)r[ins.Dst]); break;
                case InterpreterOp.Be32: r[ins.Dst] = BinaryPrimitives.ReverseEndianness((uint)r[ins.Dst]); break;
                case InterpreterOp.Be64: r[ins.Dst] = BinaryPrimitives.ReverseEndianness(r[ins.Dst]); break;

                // ---- Loads: zero-extended (MEM) or sign-extended (MEMSX).
                case InterpreterOp.LdxB:
                    {
                        var address = r[ins.Src] + (ulong)ins.Target;
                        if (TMode.ChecksMemory) guard.Check(address, 1, false, pc);
                        r[ins.Dst] = *(byte*)address;
                        break;
                    }
                case InterpreterOp.LdxH:
                    {
                        var address = r[ins.Src] + (ulong)ins.Target;
                        if (TMode.ChecksMemory) guard.Check(address, 2, false, pc);
                        r[ins.Dst] = Unsafe.ReadUnaligned<ushort>((void*)address);
                        break;
                    }
                case InterpreterOp.LdxW:
                    {
                        var address = r[ins.Src] + (ulong)ins.Target;
                        if (TMode.ChecksMemory) guard.Check(address, 4, false, pc);
                        r[ins.Dst] = Unsafe.ReadUnaligned<uint>((void*)address);
                        break;
                    }
                case InterpreterOp.LdxDW:
                    {
                        var address = r[ins.Src] + (ulong)ins.Target;
                        if (TMode.ChecksMemory) guard.Check(address, 8, false, pc);
                        r[ins.Dst] = Unsafe.ReadUnaligned<ulong>((void*)address);
                        break;
                    }
                case InterpreterOp.LdAbs:
                case InterpreterOp.LdInd:
                    {
                        // r6 is the socket buffer: checked code reads its data and data_end, and then the
                        // packet, as any other access, so an r6 that is not one faults or stays in bounds.
                        var skb = r[6];
                        if (TMode.ChecksMemory)
                        {
                            guard.Check(skb + SocketBufferLayout.Data, 4, false, pc);
                            guard.Check(skb + SocketBufferLayout.DataEnd, 4, false, pc);
                        }
                        ulong data = Unsafe.ReadUnaligned<uint>((void*)(skb + SocketBufferLayout.Data));
                        ulong end = Unsafe.ReadUnaligned<uint>((void*)(skb + SocketBufferLayout.DataEnd));
                        var offset = SocketBufferLayout.LegacyLoadOffset((int)ins.Imm, r[ins.Src], ins.Op == InterpreterOp.LdInd);
                        if (!SocketBufferLayout.LegacyLoadInBounds(offset, ins.Aux, end - data))
                        {
                            // Outside the packet the program ends with r0 = 0, as on Linux.
                            if (TMode.CountsBudget) t_budget = budget;
                            return 0;
                        }
                        var address = data + (ulong)offset;
                        if (TMode.ChecksMemory) guard.Check(address, ins.Aux, false, pc);
                        r[0] = ins.Aux switch
                        {
                            1 => *(byte*)address,
                            2 => BinaryPrimitives.ReverseEndianness(Unsafe.ReadUnaligned<ushort>((void*)address)),
                            _ => BinaryPrimitives.ReverseEndianness(Unsafe.ReadUnaligned<uint>((void*)address)),
                        };
                        break;
                    }
                case InterpreterOp.LdxSB:
                    {
                        var address = r[ins.Src] + (ulong)ins.Target;
                        if (TMode.ChecksMemory) guard.Check(address, 1, false, pc);
                        r[ins.Dst] = (ulong)*(sbyte*)address;
                        break;
                    }
                case InterpreterOp.LdxSH:
                    {
                        var address = r[ins.Src] + (ulong)ins.Target;
                        if (TMode.ChecksMemory) guard.Check(address, 2, false, pc);
                        r[ins.Dst] = (ulong)Unsafe.ReadUnaligned<short>((void*)address);
                        break;
                    }
                case InterpreterOp.LdxSW:
                    {
                        var address = r[ins.Src] + (ulong)ins.Target;
                        if (TMode.ChecksMemory) guard.Check(address, 4, false, pc);
                        r[ins.Dst] = (ulong)Unsafe.ReadUnaligned<int>((void*)address);
                        break;
                    }

                // ---- Stores of an immediate (ST) or a register (STX), truncated to the width.
                case InterpreterOp.StB:
                    {
                        var address = r[ins.Dst] + (ulong)ins.Target;
                        if (TMode.ChecksMemory) guard.Check(address, 1, true, pc);
                        *(byte*)address = (byte)ins.Imm;
                        break;
                    }
                case InterpreterOp.StH:
                    {
                        var address = r[ins.Dst] + (ulong)ins.Target;
                        if (TMode.ChecksMemory) guard.Check(address, 2, true, pc);
                        Unsafe.WriteUnaligned((void*)address, (ushort)ins.Imm);
                        break;
                    }
                case InterpreterOp.StW:
                    {
                        var address = r[ins.Dst] + (ulong)ins.Target;
                        if (TMode.ChecksMemory) guard.Check(address, 4, true, pc);
                        Unsafe.WriteUnaligned((void*)address, (uint)ins.Imm);
                        break;
                    }
                case InterpreterOp.StDW:
                    {
                        var address = r[ins.Dst] + (ulong)ins.Target;
                        if (TMode.ChecksMemory) guard.Check(address, 8, true, pc);
                        Unsafe.WriteUnaligned((void*)address, (ulong)ins.Imm);
                        break;
                    }
                case InterpreterOp.StxB:
                    {
                        var address = r[ins.Dst] + (ulong)ins.Target;
                        if (TMode.ChecksMemory) guard.Check(address, 1, true, pc);
                        *(byte*)address = (byte)r[ins.Src];
                        break;
                    }
                case InterpreterOp.StxH:
                    {
                        var address = r[ins.Dst] + (ulong)ins.Target;
                        if (TMode.ChecksMemory) guard.Check(address, 2, true, pc);
                        Unsafe.WriteUnaligned((void*)address, (ushort)r[ins.Src]);
                        break;
                    }
                case InterpreterOp.StxW:
                    {
                        var address = r[ins.Dst] + (ulong)ins.Target;
                        if (TMode.ChecksMemory) guard.Check(address, 4, true, pc);
                        Unsafe.WriteUnaligned((void*)address, (uint)r[ins.Src]);
                        break;
                    }
                case InterpreterOp.StxDW:
                    {
                        var address = r[ins.Dst] + (ulong)ins.Target;
                        if (TMode.ChecksMemory) guard.Check(address, 8, true, pc);
                        Unsafe.WriteUnaligned((void*)address, r[ins.Src]);
                        break;
                    }
                case InterpreterOp.Atomic32:
                    {
                        var address = r[ins.Dst] + (ulong)ins.Target;
                        if (TMode.ChecksMemory) CheckAtomic(ref guard, address, 4, pc);
                        Alu.Atomic32((AtomicKind)ins.Aux, (uint*)address, ref r[ins.Src], ref r[0]);
                        break;
                    }
                case InterpreterOp.Atomic64:
                    {
                        var address = r[ins.Dst] + (ulong)ins.Target;
                        if (TMode.ChecksMemory) CheckAtomic(ref guard, address, 8, pc);
                        Alu.Atomic64((AtomicKind)ins.Aux, (ulong*)address, ref r[ins.Src], ref r[0]);
                        break;
                    }
                case InterpreterOp.LoadImm64:
                    r[ins.Dst] = (ulong)ins.Imm;
                    pc++;
                    break;

                // ---- Jumps: targets were made absolute at load.
                case InterpreterOp.Ja: goto Jump;
                case InterpreterOp.Jeq64Imm: if (r[ins.Dst] == (ulong)ins.Imm) goto Jump; break;
                case InterpreterOp.Jeq64Reg: if (r[ins.Dst] == r[ins.Src]) goto Jump; break;
                case InterpreterOp.Jgt64Imm: if (r[ins.Dst] > (ulong)ins.Imm) goto Jump; break;
                case InterpreterOp.Jgt64Reg: if (r[ins.Dst] > r[ins.Src]) goto Jump; break;
                case InterpreterOp.Jge64Imm: if (r[ins.Dst] >= (ulong)ins.Imm) goto Jump; break;
                case InterpreterOp.Jge64Reg: if (r[ins.Dst] >= r[ins.Src]) goto Jump; break;
                case InterpreterOp.Jset64Imm: if ((r[ins.Dst] & (ulong)ins.Imm) != 0) goto Jump; break;
                case InterpreterOp.Jset64Reg: if ((r[ins.Dst] & r[ins.Src]) != 0) goto Jump; break;
                case InterpreterOp.Jne64Imm: if (r[ins.Dst] != (ulong)ins.Imm) goto Jump; break;
                case InterpreterOp.Jne64Reg: if (r[ins.Dst] != r[ins.Src]) goto Jump; break;
                case InterpreterOp.Jsgt64Imm: if ((long)r[ins.Dst] > ins.Imm) goto Jump; break;
                case InterpreterOp.Jsgt64Reg: if ((long)r[ins.Dst] > (long)r[ins.Src]) goto Jump; break;
                case InterpreterOp.Jsge64Imm: if ((long)r[ins.Dst] >= ins.Imm) goto Jump; break;
                case InterpreterOp.Jsge64Reg: if ((long)r[ins.Dst] >= (long)r[ins.Src]) goto Jump; break;
                case InterpreterOp.Jlt64Imm: if (r[ins.Dst] < (ulong)ins.Imm) goto Jump; break;
                case InterpreterOp.Jlt64Reg: if (r[ins.Dst] < r[ins.Src]) goto Jump; break;
                case InterpreterOp.Jle64Imm: if (r[ins.Dst] <= (ulong)ins.Imm) goto Jump; break;
                case InterpreterOp.Jle64Reg: if (r[ins.Dst] <= r[ins.Src]) goto Jump; break;
                case InterpreterOp.Jslt64Imm: if ((long)r[ins.Dst] < ins.Imm) goto Jump; break;
                case InterpreterOp.Jslt64Reg: if ((long)r[ins.Dst] < (long)r[ins.Src]) goto Jump; break;
                case InterpreterOp.Jsle64Imm: if ((long)r[ins.Dst] <= ins.Imm) goto Jump; break;
                case InterpreterOp.Jsle64Reg: if ((long)r[ins.Dst] <= (long)r[ins.Src]) goto Jump; break;
                case InterpreterOp.Jeq32Imm: if ((uint)r[ins.Dst] == (uint)ins.Imm) goto Jump; break;
                case InterpreterOp.Jeq32Reg: if ((uint)r[ins.Dst] == (uint)r[ins.Src]) goto Jump; break;
                case InterpreterOp.Jgt32Imm: if ((uint)r[ins.Dst] > (uint)ins.Imm) goto Jump; break;
                case InterpreterOp.Jgt32Reg: if ((uint)r[ins.Dst] > (uint)r[ins.Src]) goto Jump; break;
                case InterpreterOp.Jge32Imm: if ((uint)r[ins.Dst] >= (uint)ins.Imm) goto Jump; break;
                case InterpreterOp.Jge32Reg: if ((uint)r[ins.Dst] >= (uint)r[ins.Src]) goto Jump; break;
                case InterpreterOp.Jset32Imm: if (((uint)r[ins.Dst] & (uint)ins.Imm) != 0) goto Jump; break;
                case InterpreterOp.Jset32Reg: if (((uint)r[ins.Dst] & (uint)r[ins.Src]) != 0) goto Jump; break;
                case InterpreterOp.Jne32Imm: if ((uint)r[ins.Dst] != (uint)ins.Imm) goto Jump; break;
                case InterpreterOp.Jne32Reg: if ((uint)r[ins.Dst] != (uint)r[ins.Src]) goto Jump; break;
                case InterpreterOp.Jsgt32Imm: if ((int)r[ins.Dst] > (int)ins.Imm) goto Jump; break;
                case InterpreterOp.Jsgt32Reg: if ((int)r[ins.Dst] > (int)r[ins.Src]) goto Jump; break;
                case InterpreterOp.Jsge32Imm: if ((int)r[ins.Dst] >= (int)ins.Imm) goto Jump; break;
                case InterpreterOp.Jsge32Reg: if ((int)r[ins.Dst] >= (int)r[ins.Src]) goto Jump; break;
                case InterpreterOp.Jlt32Imm: if ((uint)r[ins.Dst] < (uint)ins.Imm) goto Jump; break;
                case InterpreterOp.Jlt32Reg: if ((uint)r[ins.Dst] < (uint)r[ins.Src]) goto Jump; break;
                case InterpreterOp.Jle32Imm: if ((uint)r[ins.Dst] <= (uint)ins.Imm) goto Jump; break;
                case InterpreterOp.Jle32Reg: if ((uint)r[ins.Dst] <= (uint)r[ins.Src]) goto Jump; break;
                case InterpreterOp.Jslt32Imm: if ((int)r[ins.Dst] < (int)ins.Imm) goto Jump; break;
                case InterpreterOp.Jslt32Reg: if ((int)r[ins.Dst] < (int)r[ins.Src]) goto Jump; break;
                case InterpreterOp.Jsle32Imm: if ((int)r[ins.Dst] <= (int)ins.Imm) goto Jump; break;
                case InterpreterOp.Jsle32Reg: if ((int)r[ins.Dst] <= (int)r[ins.Src]) goto Jump; break;

                // ---- Calls and returns.
                case InterpreterOp.CallHelper:
                    {
                        var helper = _helpers[ins.Target];
                        // Callbacks the helper starts spend from this run's budget.
                        if (TMode.CountsBudget) t_budget = budget;
                        var result = CallHelper<TMode>(helper, r, pc, ref guard);
                        if (TMode.CountsBudget) budget = t_budget;
                        r[0] = result;
                        if (result == 0 && (helper.StopsProgramOnZero || (helper.Id == Helpers.HelperIds.TailCall && TailCallChain<InterpreterExecutable>.IsArmed)))
                        {
                            if (TMode.CountsBudget) t_budget = budget;
                            return 0;
                        }
                        break;
                    }
                case InterpreterOp.CallRegister:
                    {
                        var id = r[ins.Src];
                        if (id > int.MaxValue || !_helpersById.TryGetValue((long)id, out var helper))
                        {
                            throw UnknownHelper(pc, id, $"callx through r{ins.Src}");
                        }
                        if (TMode.CountsBudget) t_budget = budget;
                        var result = CallHelper<TMode>(helper, r, pc, ref guard);
                        if (TMode.CountsBudget) budget = t_budget;
                        r[0] = result;
                        if (result == 0 && helper.StopsProgramOnZero)
                        {
                            if (TMode.CountsBudget) t_budget = budget;
                            return 0;
                        }
                        break;
                    }
                case InterpreterOp.CallLocal:
                    {
                        if (depth + 1 >= MaxFrames)
                        {
                            throw CallTooDeep(pc);
                        }
                        if (TMode.CountsBudget)
                        {
                            if (budget == 0)
                            {
                                throw BudgetSpent(pc);
                            }
                            budget--;
                        }
                        var frame = saved + (depth * SavedPerFrame);
                        frame[0] = r[6];
                        frame[1] = r[7];
                        frame[2] = r[8];
                        frame[3] = r[9];
                        frame[4] = (ulong)(pc + 1);
                        depth++;
                        r[10] = stackTop - (ulong)(depth * frameSize);
                        if (TMode.ChecksMemory)
                        {
                            guard.StackLow = r[10] - (ulong)frameSize;
                            new Span<byte>((void*)guard.StackLow, frameSize).Clear();
                        }
                        else if (_zeroesFrames)
                        {
                            new Span<byte>((void*)(r[10] - (ulong)frameSize), frameSize).Clear();
                        }
                        pc = ins.Target;
                        continue;
                    }
                case InterpreterOp.Exit:
                    {
                        if (depth == 0)
                        {
                            if (TMode.CountsBudget) t_budget = budget;
                            return r[0];
                        }
                        depth--;
                        var frame = saved + (depth * SavedPerFrame);
                        r[6] = frame[0];
                        r[7] = frame[1];
                        r[8] = frame[2];
                        r[9] = frame[3];
                        pc = (int)frame[4];
                        r[10] = stackTop - (ulong)(depth * frameSize);
                        if (TMode.ChecksMemory)
                        {
                            guard.StackLow = r[10] - (ulong)frameSize;
                        }
                        continue;
                    }

                // ---- Sentinels.
                case InterpreterOp.UnknownHelper:
                    throw UnknownHelper(pc, (ulong)ins.Imm, "call");
                case InterpreterOp.FellOffEnd:
                    throw Fault(DiagnosticCodes.FellOffEnd, (int)ins.Imm,
                        $"execution ran past the last instruction ({ins.Imm}) without an exit; end every path with exit");
                case InterpreterOp.JumpOutOfRange:
                    throw Fault(DiagnosticCodes.JumpOutOfRange, (int)ins.Imm,
                        $"jump or call to instruction {ins.Target}, outside the program's {_length} instructions");
                case InterpreterOp.LoadImm64Tail:
                    throw Fault(DiagnosticCodes.ReachedLoadImm64Tail, (int)ins.Imm,
                        $"execution reached instruction {ins.Imm}, the second half of an ld_imm64; a jump lands inside it");
                default:
                    throw Fault(DiagnosticCodes.UnsupportedInstruction, pc, $"internal operation {ins.Op} has no implementation");
            }
            pc++;
            continue;

        Jump:
            // A backward jump closes a loop: code not proven to end pays for it from the budget.
            if (TMode.CountsBudget && ins.Target <= pc)
            {
                if (budget == 0)
                {
                    throw BudgetSpent(pc);
                }
                budget--;
            }
            pc = ins.Target;
        }
    }

    /// <summary>Calls a helper with r1-r5; a helper's own failure becomes a fault naming the call.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private ulong CallHelper<TMode>(HelperFunction helper, ulong* r, int pc, ref AccessGuard guard)
        where TMode : struct, IExecutionMode
    {
        // Helper arguments, and callbacks the helper runs, may point into the live frames.
        ActiveRuns.Current?.SetStack(TMode.ChecksMemory ? guard.StackLow : r[10] - guard.FrameSize, guard.StackTop);
        ulong result;
        try
        {
            result = helper.Implementation(r[1], r[2], r[3], r[4], r[5]);
        }
        catch (BpfException)
        {
            throw;
        }
        catch (Exception e)
        {
            throw new BpfException(new BpfDiagnostic(DiagnosticCodes.HelperFailed,
                $"instruction {pc}: helper {helper.Name} (#{helper.Id}) failed: {e.Message}",
                File: _origin, Program: _name, InstructionIndex: pc), e);
        }
        if (ProgramCallback.HasPendingFault)
        {
            var fault = ProgramCallback.TakePendingFault()!;
            if (fault is BpfException)
            {
                throw fault;
            }
            throw new BpfException(new BpfDiagnostic(DiagnosticCodes.HelperFailed,
                $"instruction {pc}: a callback run by helper {helper.Name} (#{helper.Id}) failed: {fault.Message}",
                File: _origin, Program: _name, InstructionIndex: pc), fault);
        }
        return result;
    }

    private static void CheckAtomic(ref AccessGuard guard, ulong address, int size, int pc)
    {
        guard.Check(address, size, true, pc);
        if ((address & (ulong)(size - 1)) != 0)
        {
            throw guard.Raise(DiagnosticCodes.MisalignedAtomicAccess, pc,
                $"atomic operation on {size} bytes at 0x{address.ToString("x", CultureInfo.InvariantCulture)}, which is not {size}-byte aligned");
        }
    }

    private BpfException UnknownHelper(int pc, ulong id, string how) =>
        Fault(DiagnosticCodes.UnknownHelper, pc,
            $"{how} names helper {id}, which the program's helper table '{_helperTableName}' ({_helpersById.Count} helpers) does not hold; register it with the host or use a helper the table offers");

    private BpfException BudgetSpent(int pc) => ExecutionBudget.Exhausted(_budget, _origin, _name, pc);

    private BpfException CallTooDeep(int pc) =>
        Fault(DiagnosticCodes.CallDepthExceeded, pc,
            $"local call would nest more than {InterpreterEngine.MaxFrames} frames; reduce the call depth (recursion is not allowed)");

    private BpfException Fault(string code, int pc, string message) =>
        new(new BpfDiagnostic(code, $"instruction {pc.ToString(CultureInfo.InvariantCulture)}: {message}", File: _origin, Program: _name, InstructionIndex: pc));
}
