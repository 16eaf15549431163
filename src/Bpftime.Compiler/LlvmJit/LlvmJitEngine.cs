using System.Diagnostics;
using System.Runtime.InteropServices;
using Bpftime.Compiler.IrGen;
using Bpftime.Compiler.Llvm;
using Bpftime.Diagnostics;
using Bpftime.Engines;
using Bpftime.Engines.Aot;
using Bpftime.Execution;
using Bpftime.Helpers;
using Bpftime.Maps;

namespace Bpftime.Compiler.LlvmJit;

/// <summary>
/// eBPF -> LLVM IR -> default&lt;O0..O3&gt; -> ORC LLJIT in this process. Helpers bind to their
/// <see cref="HelperFunction.NativeEntry"/>, maps to their handles and value addresses, callx to a
/// per-program dispatcher, all as absolute symbols of the JIT's main library. Programs the verifier
/// has not proved safe (<see cref="ProgramImage.Verified"/> false) get a check on every memory access
/// and fault with a BPF40xx error instead of touching memory they may not.
/// </summary>
public sealed class LlvmJitEngine : IBpfEngine
{
    public const string EngineName = "llvm-jit";

    private const string EntrySymbol = LlvmJitExecutable.EntrySymbol;

    public string Name => EngineName;

    public string Description => "eBPF -> LLVM IR -> O0..O3 -> ORC JIT in process (needs libLLVM at run time)";

    /// <summary>Time spent in the last <see cref="Load"/> on translation, optimisation and code generation.</summary>
    public CompileTimings? LastTimings { get; private set; }

    public bool IsAvailable(out string? reason)
    {
        if (RuntimeInformation.ProcessArchitecture is not (Architecture.X64 or Architecture.Arm64))
        {
            reason = $"the LLVM JIT supports x86-64 and AArch64 hosts, not {RuntimeInformation.ProcessArchitecture}";
            return false;
        }
        return LlvmLibrary.TryLoad(out reason);
    }

    public IBpfExecutable Load(ProgramImage program, EngineOptions options)
    {
        LlvmLibrary.EnsureLoaded();
        ModuleOptimizer.ValidateLevel(options.OptimizationLevel);
        // A program that cannot reach exit could only loop or run off the end: refuse it now.
        Isa.ProgramValidator.EnsureExitReachable(program.Instructions.Span, program.Name, program.Origin);
        var level = options.OptimizationLevel;
        var triple = LlvmTargets.HostTriple;
        var clock = Stopwatch.StartNew();

        var moduleContext = new JitModuleContext();
        var moduleOwned = true;
        var module = default(LLVMModuleRef);
        // Checked code, and verified code whose termination was not proven, count the budget and so
        // need the runtime side (budget hand-over to callbacks, fault reports); memory stays unchecked for the latter.
        var countsBudget = !program.Verified || !program.TerminationProven;
        var owner = countsBudget ? new CheckedRunOwner(program) { ExecutionBudget = options.ExecutionBudget } : null;
        try
        {
            var context = moduleContext.Context;
            module = LLVM.ModuleCreateWithNameInContext(program.Name, context);
            IrProgramInfo info;
            var passMachine = CreateMachine(triple, options.TargetCpu, level);
            try
            {
                LLVM.SetTarget(module, triple);
                var layout = LLVM.CreateTargetDataLayout(passMachine);
                LLVM.SetModuleDataLayout(module, layout);
                LLVM.DisposeTargetData(layout);
                using (var generator = new IrGenerator(context, module, program.Helpers, program.Maps.Count)
                {
                    TailCallHelperId = HelperIds.TailCall,
                    FixedRegions = program.Verified ? [] : owner?.FixedRegions ?? [],
                    InlineLookups = [.. program.Maps.Select(InlineLookup.ForMap)],
                })
                {
                    info = generator.AddProgram(program.Name, EntrySymbol, program.Instructions.Span, program.StackSize, checkMemory: !program.Verified, countBudget: countsBudget, socketBuffer: program.SocketBuffer);
                }
                LlvmJitExecutable.ExportCallbacks(module, program);
                ModuleOptimizer.Verify(module, $"program '{program.Name}'");
                var translated = clock.Elapsed;
                ModuleOptimizer.Optimize(module, passMachine, level);
                LastTimings = new CompileTimings(translated, clock.Elapsed - translated, TimeSpan.Zero);
            }
            finally
            {
                LLVM.DisposeTargetMachine(passMachine);
            }

            var jit = CreateJit(triple, options.TargetCpu, level);
            try
            {
                var dispatcher = info.UsesHelperById ? new HelperDispatcher(program.Helpers) : null;
                DefineSymbols(jit, module, program, info, dispatcher, owner);
                var threadSafeModule = moduleContext.Wrap(module);
                moduleOwned = false;
                var addError = LLVM.TakeError(LLVM.OrcLLJITAddLLVMIRModule(jit, LLVM.OrcLLJITGetMainJITDylib(jit), threadSafeModule));
                if (addError is not null)
                {
                    LLVM.OrcDisposeThreadSafeModule(threadSafeModule);
                    throw Fail($"the JIT refused the module: {addError}", program);
                }
                var beforeCodegen = clock.Elapsed;
                var lookupError = LLVM.TakeError(LLVM.OrcLLJITLookup(jit, out var address, EntrySymbol));
                if (lookupError is not null || address == 0)
                {
                    throw Fail($"the JIT could not compile the program: {lookupError}", program);
                }
                LastTimings = LastTimings with { CodeGeneration = clock.Elapsed - beforeCodegen };
                var executable = new LlvmJitExecutable(jit, (nint)address, info, program, owner, new object?[] { dispatcher, program.Helpers, program.Maps });
                jit = default;
                owner = null;
                return executable;
            }
            finally
            {
                if (!jit.IsNull)
                {
                    _ = LLVM.TakeError(LLVM.OrcDisposeLLJIT(jit));
                }
            }
        }
        finally
        {
            owner?.Dispose();
            if (moduleOwned && !module.IsNull)
            {
                LLVM.DisposeModule(module);
            }
            // Modules handed to the JIT keep the context alive; this only drops our reference.
            moduleContext.Dispose();
        }
    }

    /// <summary>
    /// The JIT's target machine: static relocations and the large code model, so that code reaches its
    /// constants, helpers and maps through 64-bit absolute addresses. The JIT's memory manager maps
    /// code and data separately and, with many programs loaded, they can land more than 2 GiB apart,
    /// where the small model's 32-bit PC-relative references would silently wrap.
    /// </summary>
    private static LLVMTargetMachineRef CreateMachine(string triple, string? targetCpu, int level) =>
        LlvmTargets.CreateMachine(triple, targetCpu, level, LLVMRelocMode.LLVMRelocStatic, LLVMCodeModel.LLVMCodeModelLarge);

    private static LLVMOrcLLJITRef CreateJit(string triple, string? targetCpu, int level)
    {
        var machine = CreateMachine(triple, targetCpu, level);
        var builder = LLVM.OrcCreateLLJITBuilder();
        LLVM.OrcLLJITBuilderSetJITTargetMachineBuilder(builder, LLVM.OrcJITTargetMachineBuilderCreateFromTargetMachine(machine));
        var error = LLVM.TakeError(LLVM.OrcCreateLLJIT(out var jit, builder));
        if (error is not null)
        {
            throw BpfException.Create(DiagnosticCodes.JitFailed, $"ORC LLJIT could not be created: {error}");
        }
        return jit;
    }

    private static void DefineSymbols(LLVMOrcLLJITRef jit, LLVMModuleRef module, ProgramImage program, IrProgramInfo info, HelperDispatcher? dispatcher, CheckedRunOwner? owner)
    {
        var symbols = new List<(string Name, nint Address, bool Callable)>();
        if (owner is not null)
        {
            symbols.Add((AotCheckedAbi.MemoryCheckSymbol, CheckedRunOwner.MemoryCheckEntry, true));
            symbols.Add((AotCheckedAbi.CallbackFaultSymbol, CheckedRunOwner.CallbackFaultEntry, true));
            symbols.Add((AotCheckedAbi.CallbackEnterSymbol, CheckedRunOwner.CallbackEnterEntry, true));
            symbols.Add((AotCheckedAbi.CallbackLeaveSymbol, CheckedRunOwner.CallbackLeaveEntry, true));
            symbols.Add((AotCheckedAbi.OwnerSymbol, owner.Handle, false));
        }
        // Verified callback entries that record their frames tell the callback's run about them.
        symbols.Add((AotCheckedAbi.CallbackFramesSymbol, CheckedRunOwner.CallbackFramesEntry, true));
        // Checked code zeroes each frame as it starts, and any code's run of stores to its frame block
        // (which the run state names, so the stores stay) may become one: LLVM may call memset for either.
        symbols.Add(("memset", ZeroFill.Entry, true));
        foreach (var id in info.HelperIds)
        {
            symbols.Add((HelperSymbols.SymbolFor(id), program.Helpers.Find(id)!.NativeEntry, true));
        }
        foreach (var index in info.MapIndexes)
        {
            var map = program.Maps[index];
            symbols.Add((AotMetadata.MapHandleSymbol(index), map.Handle, false));
            if (!info.MapValueIndexes.Contains(index))
            {
                continue;
            }
            nint value;
            try
            {
                value = map.DirectValueAddress(0);
            }
            catch (Exception e) when (e is NotSupportedException or ArgumentException)
            {
                value = 0;
            }
            if (value == 0)
            {
                throw BpfException.Create(DiagnosticCodes.IrUnknownMap,
                    $"the program loads the value address of map '{map.Name}' ({map.Type}), which has no fixed value block; only array maps and global data have one",
                    program.Origin, program.Name);
            }
            symbols.Add((AotMetadata.MapValueSymbol(index), value, false));
        }
        BindInlineLookups(module, program, symbols);
        if (dispatcher is not null)
        {
            symbols.Add((AotMetadata.HelperByIdSymbol, dispatcher.NativeEntry, true));
        }
        if (symbols.Count == 0)
        {
            return;
        }
        var pairs = new LLVMOrcCSymbolMapPair[symbols.Count];
        for (var i = 0; i < symbols.Count; i++)
        {
            var flags = LLVMJITSymbolGenericFlags.Exported | (symbols[i].Callable ? LLVMJITSymbolGenericFlags.Callable : 0);
            pairs[i] = new LLVMOrcCSymbolMapPair
            {
                Name = LLVM.OrcLLJITMangleAndIntern(jit, symbols[i].Name),
                Sym = new LLVMJITEvaluatedSymbol
                {
                    Address = (ulong)symbols[i].Address,
                    Flags = new LLVMJITSymbolFlags { GenericFlags = (byte)flags },
                },
            };
        }
        var unit = LLVM.OrcAbsoluteSymbols(pairs);
        var error = LLVM.TakeError(LLVM.OrcJITDylibDefine(LLVM.OrcLLJITGetMainJITDylib(jit), unit));
        if (error is not null)
        {
            LLVM.OrcDisposeMaterializationUnit(unit);
            throw BpfException.Create(DiagnosticCodes.JitFailed, $"the JIT refused the helper and map symbols: {error}", program: program.Name);
        }
    }

    /// <summary>
    /// The symbols of lookups the code does itself (<see cref="InlineLookup"/>): each storage symbol
    /// the module declares, bound to its map's storage once the map is seen to have the layout the
    /// name records, and the per-CPU slot count and sched_getcpu when a per-CPU lookup needs them.
    /// </summary>
    private static void BindInlineLookups(LLVMModuleRef module, ProgramImage program, List<(string Name, nint Address, bool Callable)> symbols)
    {
        for (var index = 0; index < program.Maps.Count; index++)
        {
            var map = program.Maps[index];
            if (InlineLookup.ForMap(map) is not { } layout)
            {
                continue;
            }
            var name = layout.SymbolFor(index);
            if (LLVM.GetNamedGlobal(module, name).IsNull)
            {
                continue;
            }
            if (layout.Mismatch(map) is { } why)
            {
                throw BpfException.Create(DiagnosticCodes.InlineLookupLayoutMismatch, $"map {index}: {why}", program.Origin, program.Name);
            }
            symbols.Add((name, map.StorageCell, false));
        }
        if (!LLVM.GetNamedGlobal(module, InlineLookup.SlotCountSymbol).IsNull)
        {
            symbols.Add((InlineLookup.SlotCountSymbol, PerCpu.SlotCount, false));
        }
        if (!LLVM.GetNamedFunction(module, InlineLookup.CurrentCpuSymbol).IsNull)
        {
            symbols.Add((InlineLookup.CurrentCpuSymbol, InlineLookup.CurrentCpuEntry, true));
        }
    }

    private static BpfException Fail(string message, ProgramImage program) =>
        BpfException.Create(DiagnosticCodes.JitFailed, message, file: program.Origin, program: program.Name);
}
