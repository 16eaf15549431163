using System.Diagnostics;
using Bpftime.Diagnostics;
using Bpftime.Objects;

namespace Bpftime.Tool.Build;

/// <summary>
/// Builds one object for the SDK: read it, make its typed skeleton, check every program, compile it
/// ahead of time for the target, check that the native code links, then write the native object, a
/// copy of the bytecode and the skeleton. Outputs are written only when their bytes change, so a
/// touched but identical object recompiles no C#; the stamp (last) tells the SDK the object is done.
/// In skeleton mode (design-time builds) only the object is read and the skeleton written: no LLVM,
/// no verifier.
/// </summary>
internal sealed class ObjectBuilder(BuildManifest manifest, TextWriter output)
{
    /// <summary>What the object produced: errors and warnings in canonical form, and whether it succeeded.</summary>
    public sealed record Result(bool Succeeded, IReadOnlyList<BpfDiagnostic> Diagnostics);

    public Result Build(BuildItem item) => manifest.SkeletonOnly ? BuildSkeleton(item) : BuildAll(item);

    private Result BuildSkeleton(BuildItem item)
    {
        BpfObjectFile? file = null;
        try
        {
            var source = ReadSource(item.Source);
            file = ObjectReader.Read(source, item.Source);
            var programs = SelectPrograms(item, file);
            WriteIfChanged(item.Accessor, System.Text.Encoding.UTF8.GetBytes(AccessorGenerator.Generate(manifest.Namespace, item, file, programs, source)));
            Touch(item.SkeletonStamp);
            output.WriteLine($"bpftime build: {Path.GetFileName(item.Source)} -> skeleton {manifest.Namespace}.{item.ClassName}");
            return new Result(true, Located(item, file, [.. file.Warnings]));
        }
        catch (BpfException error)
        {
            Delete(item.Accessor);
            return new Result(false, Located(item, file, [.. error.Diagnostics]));
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            return new Result(false, [new BpfDiagnostic(DiagnosticCodes.HostingIoFailure, $"cannot write the skeleton: {error.Message}", File: item.Source)]);
        }
    }

    private Result BuildAll(BuildItem item)
    {
        var diagnostics = new List<BpfDiagnostic>();
        var watch = Stopwatch.StartNew();
        BpfObjectFile? file = null;
        try
        {
            var source = ReadSource(item.Source);
            file = ObjectReader.Read(source, item.Source);
            diagnostics.AddRange(file.Warnings);
            var programs = SelectPrograms(item, file);
            // First, since it is cheap and a struct C# cannot lay out fails the build (BPF4120).
            var skeleton = System.Text.Encoding.UTF8.GetBytes(AccessorGenerator.Generate(manifest.Namespace, item, file, programs, source));
            // The app's loader applies the same limit (the accessor passes it); refuse now what it would.
            Hosting.BpfMapFactory.CheckMemory(file.Maps, item.MaxMapMemory, item.Source, "BpfMaxMapMemory");
            var helpers = HelperLookup.For(item);
            var verified = new HashSet<string>(StringComparer.Ordinal);
            var unbounded = new HashSet<string>(StringComparer.Ordinal);
            foreach (var program in programs)
            {
                var (found, safe, ends) = ProgramChecks.Check(item, file, program, helpers);
                diagnostics.AddRange(found);
                if (safe)
                {
                    verified.Add(program.Name);
                    if (!ends)
                    {
                        unbounded.Add(program.Name);
                    }
                }
            }
            if (diagnostics.Any(d => d.Severity == DiagnosticSeverity.Error))
            {
                return Fail(item, file, diagnostics);
            }

            byte[]? native = null;
            if (item.WantsNative)
            {
                native = NativeBuild.Compile(item, file, programs, helpers, source, verified, unbounded);
            }
            if (diagnostics.Any(d => d.Severity == DiagnosticSeverity.Error))
            {
                return Fail(item, file, diagnostics);
            }

            WriteIfChanged(item.BytecodeCopy, source);
            if (native is not null)
            {
                WriteIfChanged(item.NativeObject, native);
            }
            else if (item.NativeObject.Length > 0)
            {
                Delete(item.NativeObject);
            }
            WriteIfChanged(item.Accessor, skeleton);
            Touch(item.SkeletonStamp);
            Touch(item.Stamp);
            output.WriteLine($"bpftime build: {Path.GetFileName(item.Source)} -> {item.Name}: {programs.Count} program(s), {file.Maps.Count} map(s), " +
                $"{(item.Verify ? $"{verified.Count} verified" + (unbounded.Count > 0 ? $" ({unbounded.Count} under the execution budget: loops not proven to end)" : "") : "not verified (Verify=false)")}, " +
                $"{(native is null ? "bytecode only" : $"native {item.RuntimeIdentifier} O{item.OptimizationLevel}, {native.Length} bytes, {Checked(item, programs, verified)}")}, {watch.ElapsedMilliseconds} ms");
            return new Result(true, Located(item, file, diagnostics));
        }
        catch (BpfException error)
        {
            diagnostics.AddRange(error.Diagnostics);
            return Fail(item, file, diagnostics);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            diagnostics.Add(new BpfDiagnostic(DiagnosticCodes.HostingIoFailure, $"cannot write the build outputs: {error.Message}", File: item.Source));
            return Fail(item, file, diagnostics);
        }
        catch (Exception error) when (error is not OutOfMemoryException)
        {
            // A defect in the build itself, not in the object: still one diagnostic line, never a stack trace.
            diagnostics.Add(new BpfDiagnostic(DiagnosticCodes.BuildToolFailed,
                $"bpftime build failed unexpectedly on this object ({error.GetType().Name}: {error.Message}); please report it with the object", File: item.Source));
            return Fail(item, file, diagnostics);
        }
    }

    /// <summary>How many programs' native code checks memory at run time (MemoryChecks and the verdicts decide).</summary>
    private static string Checked(BuildItem item, IReadOnlyList<BpfProgramInfo> programs, HashSet<string> verified)
    {
        var count = programs.Count(p => !item.CompilesUnchecked(verified.Contains(p.Name)));
        return count == 0 ? "unchecked" : $"{count} checked";
    }

    private static byte[] ReadSource(string path)
    {
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            throw new BpfException(new BpfDiagnostic(DiagnosticCodes.HostingIoFailure, $"cannot read the object: {error.Message}", File: path), error);
        }
    }

    private static IReadOnlyList<BpfProgramInfo> SelectPrograms(BuildItem item, BpfObjectFile file)
    {
        if (item.Programs.Count == 0)
        {
            return file.Programs;
        }
        var missing = item.Programs.Where(name => file.FindProgram(name) is null).ToList();
        if (missing.Count > 0)
        {
            throw BpfException.Create(DiagnosticCodes.InvalidBuildSetting,
                $"Programs names {string.Join(", ", missing)}, which the object does not have; it has: {string.Join(", ", file.Programs.Select(p => p.Name))}", item.Source);
        }
        return [.. file.Programs.Where(p => item.Programs.Contains(p.Name))];
    }

    private static Result Fail(BuildItem item, BpfObjectFile? file, List<BpfDiagnostic> diagnostics)
    {
        // Nothing stale may be embedded, and the next build must run again.
        Delete(item.Accessor);
        Delete(item.NativeObject);
        Delete(item.Stamp);
        Delete(item.SkeletonStamp);
        return new Result(false, Located(item, file, diagnostics));
    }

    private static List<BpfDiagnostic> Located(BuildItem item, BpfObjectFile? file, List<BpfDiagnostic> diagnostics) =>
        [.. diagnostics.Select(d => SourceLocator.Locate(d, item.Source, file))];

    /// <summary>Writes <paramref name="contents"/> unless the file already holds exactly them, so its time stays and nothing downstream rebuilds.</summary>
    internal static void WriteIfChanged(string path, byte[] contents)
    {
        var info = new FileInfo(path);
        if (info.Exists && info.Length == contents.Length && File.ReadAllBytes(path).AsSpan().SequenceEqual(contents))
        {
            return;
        }
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllBytes(path, contents);
    }

    private static void Touch(string path)
    {
        if (path.Length == 0)
        {
            return;
        }
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllBytes(path, []);
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow);
    }

    private static void Delete(string path)
    {
        if (path.Length > 0 && File.Exists(path))
        {
            File.Delete(path);
        }
    }
}
