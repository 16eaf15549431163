using System.Reflection;
using System.Runtime.InteropServices;
using Bpftime.Diagnostics;

namespace Bpftime.Compiler.Llvm;

/// <summary>
/// Finds and loads the system's libLLVM (newest first, 22 down to 15) or the file named by
/// <c>BPFTIME_LLVM_PATH</c>, and points every <c>LibraryImport("LLVM")</c> of this assembly at it.
/// Call <see cref="EnsureLoaded"/> before touching <see cref="LLVM"/>.
/// </summary>
public static class LlvmLibrary
{
    public const string ImportName = "LLVM";

    public const string PathVariable = "BPFTIME_LLVM_PATH";

    public const int NewestMajor = 22;

    public const int OldestMajor = 15;

    private static readonly Lock Gate = new();
    private static bool s_attempted;
    private static nint s_handle;
    private static string? s_failure;

    /// <summary>The file that was loaded, or null.</summary>
    public static string? LoadedPath { get; private set; }

    /// <summary>The LLVM major version of the loaded library (from its name), or 0 when unknown.</summary>
    public static int MajorVersion { get; private set; }

    public static bool TryLoad(out string? reason)
    {
        lock (Gate)
        {
            if (!s_attempted)
            {
                s_attempted = true;
                Load();
            }
            reason = s_failure;
            return s_handle != 0;
        }
    }

    /// <summary>Loads libLLVM or throws BPF3001 naming what to install.</summary>
    public static void EnsureLoaded()
    {
        if (!TryLoad(out var reason))
        {
            throw BpfException.Create(DiagnosticCodes.LlvmNotFound, reason ?? "libLLVM was not found");
        }
    }

    /// <summary>What a machine without libLLVM is told (BPF3001).</summary>
    public static string NotFoundMessage =>
        $"libLLVM {OldestMajor}-{NewestMajor} was not found; install it (apt-get install libllvm15, or libllvm19) or set {PathVariable} to the full path of libLLVM-NN.so";

    /// <summary>The address of an export that not every LLVM version has, or 0.</summary>
    internal static nint OptionalExport(string name)
    {
        EnsureLoaded();
        return NativeLibrary.TryGetExport(s_handle, name, out var address) ? address : 0;
    }

    /// <summary>The address of an export the compiler cannot work without.</summary>
    internal static nint RequiredExport(string name)
    {
        var address = OptionalExport(name);
        if (address == 0)
        {
            throw BpfException.Create(DiagnosticCodes.LlvmFunctionMissing,
                $"{LoadedPath} has no function {name}; install LLVM {OldestMajor} or newer (apt-get install libllvm19) or set {PathVariable}");
        }
        return address;
    }

    /// <summary>Candidate files, newest first: Debian's sonames, then the versioned lib folders.</summary>
    public static IEnumerable<string> Candidates()
    {
        for (var major = NewestMajor; major >= OldestMajor; major--)
        {
            yield return $"libLLVM-{major}.so.1";
            yield return $"libLLVM.so.{major}.1";
            yield return $"libLLVM-{major}.so";
            yield return $"libLLVM.so.{major}";
            foreach (var folder in new[] { $"/usr/lib/llvm-{major}/lib", "/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib" })
            {
                yield return Path.Combine(folder, $"libLLVM-{major}.so.1");
                yield return Path.Combine(folder, $"libLLVM.so.{major}.1");
                yield return Path.Combine(folder, $"libLLVM-{major}.so");
            }
        }
    }

    private static void Load()
    {
        var overridePath = Environment.GetEnvironmentVariable(PathVariable);
        if (!string.IsNullOrEmpty(overridePath))
        {
            if (NativeLibrary.TryLoad(overridePath, out s_handle))
            {
                Loaded(overridePath);
                return;
            }
            s_failure = $"{PathVariable} names '{overridePath}', which could not be loaded as libLLVM; point it at a libLLVM-NN.so (LLVM {OldestMajor} or newer) or unset it";
            return;
        }
        foreach (var candidate in Candidates())
        {
            if (Path.IsPathRooted(candidate) && !File.Exists(candidate))
            {
                continue;
            }
            if (NativeLibrary.TryLoad(candidate, out s_handle))
            {
                Loaded(candidate);
                return;
            }
        }
        s_failure = NotFoundMessage;
    }

    private static void Loaded(string path)
    {
        LoadedPath = path;
        MajorVersion = ParseMajor(Path.GetFileName(path));
        if (NativeLibrary.TryGetExport(s_handle, "LLVMContextCreate", out _) is false)
        {
            NativeLibrary.Free(s_handle);
            s_handle = 0;
            s_failure = $"'{path}' is not a libLLVM with the C API (no LLVMContextCreate); set {PathVariable} to libLLVM-NN.so";
            return;
        }
        NativeLibrary.SetDllImportResolver(typeof(LlvmLibrary).Assembly, Resolve);
    }

    private static nint Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath) =>
        libraryName == ImportName ? s_handle : 0;

    internal static int ParseMajor(string fileName)
    {
        // libLLVM-19.so.1, libLLVM.so.19.1, libLLVM-15.so
        var digits = new string(fileName.SkipWhile(c => !char.IsDigit(c)).TakeWhile(char.IsDigit).ToArray());
        return int.TryParse(digits, out var major) ? major : 0;
    }
}
