using System.Diagnostics;
using System.Text;
using Bpftime.Compiler.IrGen;
using Bpftime.Compiler.Llvm;
using Bpftime.Diagnostics;
using Bpftime.Engines.Aot;

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

    public static AotObject Compile(AotCompilation compilation)
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
                using (var generator = new IrGenerator(context, module, compilation.Helpers, compilation.Maps.Count))
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
                        var info = generator.AddProgram(source.Name, symbol, source.Instructions.Span, source.StackSize);
                        programs.Add(Describe(compilation, source, info));
                    }
                    if (programs.Count == 1 && programs[0].Symbol != AotMetadata.SingleProgramSymbol)
                    {
                        var entry = LLVM.GetNamedFunction(module, programs[0].Symbol);
                        LLVM.AddAlias2(module, generator.Types.Entry, 0, entry, AotMetadata.SingleProgramSymbol);
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
                    Maps = [.. compilation.Maps.Select(m => new AotMap
                    {
                        Name = m.Name,
                        Type = (uint)m.Type,
                        KeySize = m.KeySize,
                        ValueSize = m.ValueSize,
                        MaxEntries = m.MaxEntries,
                        Flags = m.Flags,
                        IsGlobalData = m.IsGlobalData,
                        IsReadOnly = m.IsReadOnlyForPrograms,
                        InitialValue = m.InitialValue is { } initial && initial.Span.ContainsAnyExcept((byte)0) ? initial.ToArray() : null,
                    })],
                };
                AddMetadataSection(context, module, metadata.ToJsonBytes());
                ModuleOptimizer.Verify(module, compilation.SourceName ?? "the object");
                var translated = clock.Elapsed;
                ModuleOptimizer.Optimize(module, machine, compilation.OptimizationLevel);
                var optimized = clock.Elapsed;
                var bytes = LLVM.TargetMachineEmitToMemory(machine, module, LLVMCodeGenFileType.LLVMObjectFile, out var error);
                if (error is not null || bytes.Length == 0)
                {
                    throw BpfException.Create(DiagnosticCodes.ObjectEmissionFailed,
                        $"LLVM could not emit the object for {triple}: {error}", file: compilation.SourceName);
                }
                return new AotObject(bytes, metadata, new CompileTimings(translated, optimized - translated, clock.Elapsed - optimized));
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

    /// <summary>The module as LLVM IR text after translation (and optimisation at the compilation's level when <paramref name="optimize"/>), for inspection.</summary>
    public static string EmitIr(AotCompilation compilation, bool optimize)
    {
        LlvmLibrary.EnsureLoaded();
        var triple = NormalizeTriple(compilation.Triple);
        var machine = LlvmTargets.CreateMachine(triple, compilation.TargetCpu, compilation.OptimizationLevel);
        var context = LLVM.ContextCreate();
        try
        {
            LLVM.ContextSetOpaquePointersIfPresent(context);
            var module = LLVM.ModuleCreateWithNameInContext(compilation.SourceName ?? "bpftime", context);
            try
            {
                LLVM.SetTarget(module, triple);
                using (var generator = new IrGenerator(context, module, compilation.Helpers, compilation.Maps.Count))
                {
                    foreach (var source in compilation.Programs)
                    {
                        generator.AddProgram(source.Name, source.Symbol ?? SymbolFor(source.Name), source.Instructions.Span, source.StackSize);
                    }
                }
                ModuleOptimizer.Verify(module, compilation.SourceName ?? "the object");
                if (optimize)
                {
                    ModuleOptimizer.Optimize(module, machine, compilation.OptimizationLevel);
                }
                return LLVM.PrintModuleToString(module);
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
    };

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
