using System.Diagnostics;
using System.Text;
using Bpftime.Compiler.IrGen;
using Bpftime.Compiler.Llvm;
using Bpftime.Diagnostics;
using Bpftime.Engines.Aot;
using Bpftime.Helpers;
using Bpftime.Maps;

namespace Bpftime.Compiler.Aot;

/// <summary>
/// Compiles programs ahead of time into one ELF relocatable object for x86-64 or AArch64 (from any
/// host): one entry symbol per program (and <c>bpf_main</c> when there is one program), PIC code
/// that reaches helpers and maps only through the symbols the runtime's linker binds, and a
/// <c>.bpftime.aot</c> section with the <see cref="AotMetadata"/> the linker checks.
/// </summary>
public static class AotCompiler
{
    private const string MetadataGlobal = "__bpftime_aot_metadata";

    /// <summary>Maps short architecture names to the triples the compiler emits for.</summary>
    public static string NormalizeTriple(string triple) => triple.ToLowerInvariant() switch
    {
        "x86_64" or "x64" or "amd64" or "linux-x64" => LlvmTargets.X86_64Triple,
        "aarch64" or "arm64" or "linux-arm64" => LlvmTargets.AArch64Triple,
        _ => triple,
    };

    public static AotObject Compile(AotCompilation compilation) =>
        Build(compilation, optimize: true, (module, machine, metadata, clock, translated, optimized) =>
        {
            var bytes = LLVM.TargetMachineEmitToMemory(machine, module, LLVMCodeGenFileType.LLVMObjectFile, out var error);
            if (error is not null || bytes.Length == 0)
            {
                throw BpfException.Create(DiagnosticCodes.ObjectEmissionFailed,
                    $"LLVM could not emit the object for {metadata.Triple}: {error}", file: compilation.SourceName);
            }
            return new AotObject(bytes, metadata, new CompileTimings(translated, optimized - translated, clock.Elapsed - optimized));
        });

    /// <summary>
    /// The module as text, for inspection: LLVM IR as translated (<paramref name="optimize"/> false) or
    /// after the compilation's pass pipeline, or the target's assembly (<paramref name="assembly"/>).
    /// </summary>
    public static string EmitText(AotCompilation compilation, bool optimize, bool assembly = false) =>
        Build(compilation, optimize || assembly, (module, machine, metadata, _, _, _) =>
        {
            if (!assembly)
            {
                return LLVM.PrintModuleToString(module);
            }
            var bytes = LLVM.TargetMachineEmitToMemory(machine, module, LLVMCodeGenFileType.LLVMAssemblyFile, out var error);
            if (error is not null)
            {
                throw BpfException.Create(DiagnosticCodes.ObjectEmissionFailed,
                    $"LLVM could not emit assembly for {metadata.Triple}: {error}", file: compilation.SourceName);
            }
            return Encoding.UTF8.GetString(bytes);
        });

    /// <summary>LLVM IR of the module, before or after optimisation.</summary>
    public static string EmitIr(AotCompilation compilation, bool optimize) => EmitText(compilation, optimize);

    private delegate T ModuleFinisher<T>(LLVMModuleRef module, LLVMTargetMachineRef machine, AotMetadata metadata,
        Stopwatch clock, TimeSpan translated, TimeSpan optimized);

    /// <summary>Translates every program into one module with its metadata section, verifies and optimises it, then hands it to <paramref name="finish"/>.</summary>
    private static T Build<T>(AotCompilation compilation, bool optimize, ModuleFinisher<T> finish)
    {
        LlvmLibrary.EnsureLoaded();
        ModuleOptimizer.ValidateLevel(compilation.OptimizationLevel);
        if (compilation.Programs.Count == 0)
        {
            throw BpfException.Create(DiagnosticCodes.AotInvalidInput, "there is no program to compile", file: compilation.SourceName);
        }
        var triple = NormalizeTriple(compilation.Triple);
        var clock = Stopwatch.StartNew();
        var machine = LlvmTargets.CreateMachine(triple, compilation.TargetCpu, compilation.OptimizationLevel);
        var context = LLVM.ContextCreate();
        try
        {
            LLVM.ContextSetOpaquePointersIfPresent(context);
            var module = LLVM.ModuleCreateWithNameInContext(compilation.SourceName ?? "bpftime", context);
            try
            {
                LLVM.SetTarget(module, triple);
                var layout = LLVM.CreateTargetDataLayout(machine);
                LLVM.SetModuleDataLayout(module, layout);
                LLVM.DisposeTargetData(layout);

                var programs = new List<AotProgram>();
                using (var generator = new IrGenerator(context, module, compilation.Helpers, compilation.Maps.Count)
                {
                    FixedRegions = compilation.FixedRegions,
                    InlineLookups = [.. compilation.Maps.Select(InlineLookup.ForSpec)],
                    // After a tail call is armed the program returns at once; the runtime continues in the target.
                    TailCallHelperId = compilation.Helpers.Find(HelperIds.TailCall) is null ? null : HelperIds.TailCall,
                })
                {
                    var symbols = new HashSet<string>(StringComparer.Ordinal);
                    foreach (var source in compilation.Programs)
                    {
                        var symbol = source.Symbol ?? SymbolFor(source.Name);
                        if (!symbols.Add(symbol))
                        {
                            throw BpfException.Create(DiagnosticCodes.AotInvalidInput,
                                $"two programs would both have the entry symbol '{symbol}'", file: compilation.SourceName, program: source.Name);
                        }
                        // A program that cannot reach exit could only loop or run off the end: refuse it.
                        Isa.ProgramValidator.EnsureExitReachable(source.Instructions.Span, source.Name, compilation.SourceName);
                        var info = generator.AddProgram(source.Name, symbol, source.Instructions.Span, source.StackSize, checkMemory: !source.Verified, countBudget: CountsBudget(source), socketBuffer: source.SocketBuffer);
                        programs.Add(Describe(compilation, source, info));
                    }
                    if (programs.Count == 1 && programs[0].Symbol != AotMetadata.SingleProgramSymbol)
                    {
                        var entry = LLVM.GetNamedFunction(module, programs[0].Symbol);
                        LLVM.AddAlias2(module, generator.Types.CheckedEntry, 0, entry, AotMetadata.SingleProgramSymbol);
                    }
                }

                var metadata = new AotMetadata
                {
                    Triple = triple,
                    SourceHash = compilation.SourceHash,
                    SourceName = compilation.SourceName,
                    OptimizationLevel = compilation.OptimizationLevel,
                    TargetCpu = compilation.TargetCpu,
                    HelperSet = compilation.Helpers.Name,
                    Programs = programs,
                    Maps = [.. compilation.Maps.Select(AotMap.FromSpec)],
                };
                AddMetadataSection(context, module, metadata.ToJsonBytes());
                ModuleOptimizer.Verify(module, compilation.SourceName ?? "the object");
                var translated = clock.Elapsed;
                if (optimize)
                {
                    ModuleOptimizer.Optimize(module, machine, compilation.OptimizationLevel);
                }
                AlignFunctionsToCodeLines(module);
                return finish(module, machine, metadata, clock, translated, clock.Elapsed);
            }
            finally
            {
                LLVM.DisposeModule(module);
            }
        }
        finally
        {
            LLVM.ContextDispose(context);
            LLVM.DisposeTargetMachine(machine);
        }
    }

    /// <summary>The alignment of every function in an object: a cache line (see <see cref="AlignFunctionsToCodeLines"/>).</summary>
    public const uint FunctionAlignment = 64;

    /// <summary>
    /// Starts every function on a cache line, as the LLVM JIT's code starts on a page: the back end
    /// places loops for the function's own alignment, so where they fall across the processor's 32-
    /// and 64-byte fetch windows follows from where the function starts within its line. The same
    /// bytes of a loop ran up to 2x slower 16 bytes past a line than on its start, so every entry of a
    /// multi-program object gets the layout its code has when it is loaded alone by the JIT.
    /// </summary>
    private static void AlignFunctionsToCodeLines(LLVMModuleRef module)
    {
        for (var function = LLVM.GetFirstFunction(module); !function.IsNull; function = LLVM.GetNextFunction(function))
        {
            if (LLVM.IsDeclaration(function) == 0 && LLVM.GetAlignment(function) < FunctionAlignment)
            {
                LLVM.SetAlignment(function, FunctionAlignment);
            }
        }
    }

    /// <summary>A C identifier for a program name; names the runtime reserves get a prefix.</summary>
    public static string SymbolFor(string programName)
    {
        var text = new StringBuilder(programName.Length);
        foreach (var c in programName)
        {
            text.Append(char.IsAsciiLetterOrDigit(c) || c == '_' ? c : '_');
        }
        var symbol = text.ToString();
        if (symbol.Length == 0 || char.IsAsciiDigit(symbol[0]) || symbol.StartsWith("_bpf_", StringComparison.Ordinal)
            || symbol == AotMetadata.SingleProgramSymbol || symbol == MetadataGlobal)
        {
            symbol = "bpf_prog_" + symbol;
        }
        return symbol;
    }

    private static AotProgram Describe(AotCompilation compilation, AotProgramSource source, IrProgramInfo info) => new()
    {
        Name = source.Name,
        Symbol = info.Symbol,
        Section = source.Section,
        StackSize = info.StackSize,
        CallDepth = info.CallDepth,
        Helpers = [.. info.HelperIds.Select(id =>
        {
            var helper = compilation.Helpers.Find(id)!;
            return new AotHelperUse(helper.Id, helper.Name, helper.Prototype.Signature) { StopsProgramOnZero = helper.StopsProgramOnZero };
        })],
        Maps = info.MapIndexes,
        UsesHelperById = info.UsesHelperById,
        Checked = !source.Verified,
        Proved = source.Verified && source.Proved,
        TerminationProven = source.Verified ? source.TerminationProven : null,
        CountsBudget = CountsBudget(source),
        ContextSize = source.ContextLengthInR2 ? null : source.ContextSize,
        ContextLengthInR2 = source.ContextLengthInR2,
        SocketBuffer = source.SocketBuffer,
        // Verified entries take the run state too (they record their frames in it).
        CheckedAbi = AotCheckedAbi.Version,
    };

    /// <summary>Checked code, and verified code whose termination was not proven, count the execution budget.</summary>
    private static bool CountsBudget(AotProgramSource source) => !source.Verified || !source.TerminationProven;

    /// <summary>The metadata as a constant byte array in its own section, kept by <c>llvm.used</c>.</summary>
    private static void AddMetadataSection(LLVMContextRef context, LLVMModuleRef module, byte[] json)
    {
        var bytes = LLVM.ConstBytesInContext(context, json);
        var global = LLVM.AddGlobal(module, LLVM.TypeOf(bytes), MetadataGlobal);
        LLVM.SetInitializer(global, bytes);
        LLVM.SetGlobalConstant(global, 1);
        LLVM.SetLinkage(global, LLVMLinkage.LLVMInternalLinkage);
        LLVM.SetSection(global, AotMetadata.SectionName);
        LLVM.SetAlignment(global, 1);

        var pointer = LLVM.PointerTypeInContext(context, 0);
        var used = LLVM.ConstArray(pointer, [global]);
        var usedGlobal = LLVM.AddGlobal(module, LLVM.TypeOf(used), "llvm.used");
        LLVM.SetInitializer(usedGlobal, used);
        LLVM.SetLinkage(usedGlobal, LLVMLinkage.LLVMAppendingLinkage);
        LLVM.SetSection(usedGlobal, "llvm.metadata");
    }
}
