using System.Buffers.Binary;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using Bpftime.Hosting;
using Bpftime.Maps;

// Loads filter.bpf.o as the build embedded it (native code for this machine when available),
// runs its program over a message, and shows what it computed and which engine ran it.
// The bytes checksum() may read at r1, as the build verified it (ContextSize in QuickStart.csproj).
const int ContextSize = 64;
var mainStarted = Stopwatch.GetTimestamp();
var message = Encoding.UTF8.GetBytes(args.Length > 0 ? args[0] : "Hello, eBPF from .NET!");

Bpf.Filter filter;
try
{
    // ContextSize as in QuickStart.csproj: bytecode (BPFTIME_ENGINE=interpreter) is verified at load for the same 64 bytes.
    filter = Bpf.Filter.Load(new BpfLoadOptions { Log = line => Console.WriteLine(line), ContextSize = ContextSize });
}
catch (Bpftime.Diagnostics.BpfException error)
{
    Console.Error.WriteLine(error.Diagnostic.ToCanonicalString());
    return 1;
}
using var loaded = filter;
Console.WriteLine($"verified: {(filter.Checksum.IsVerified ? "yes (no run-time memory checks)" : "no (run-time memory checks)")}");
// The program was verified for 64 readable bytes at r1: keep the message in a pinned 64-byte buffer, r2 = its length.
var buffer = GC.AllocateArray<byte>(Math.Max(ContextSize, message.Length), pinned: true);
message.CopyTo(buffer, 0);
var address = Marshal.UnsafeAddrOfPinnedArrayElement(buffer, 0);
var hash = filter.Checksum.Execute(address, (ulong)message.Length);
var firstRun = DateTime.Now - Process.GetCurrentProcess().StartTime;
var loadAndRun = Stopwatch.GetElapsedTime(mainStarted);
filter.Checksum.Execute(address, (ulong)message.Length);

var totals = ((ArrayMap)filter.Bss).GetValue(0);
Console.WriteLine($"engine: {filter.Checksum.EngineName}");
Console.WriteLine($"checksum(\"{Encoding.UTF8.GetString(message)}\") = {hash} (expected {ExpectedChecksum(message)})");
Console.WriteLine($"packets_seen = {BinaryPrimitives.ReadUInt64LittleEndian(totals)}, bytes_seen = {BinaryPrimitives.ReadUInt64LittleEndian(totals[8..])}");
Console.WriteLine($"first program run: {firstRun.TotalMilliseconds:F0} ms after process start ({loadAndRun.TotalMilliseconds:F1} ms to load and run from Main)");
Console.WriteLine($"libLLVM mapped: {(File.ReadLines("/proc/self/maps").Any(l => l.Contains("libLLVM", StringComparison.Ordinal)) ? "yes" : "no")}");
return 0;

// The same hash in C#, to show the program computed the right thing.
static ulong ExpectedChecksum(ReadOnlySpan<byte> data)
{
    uint hash = 17;
    for (var i = 0; i < Math.Min(64, data.Length); i++)
    {
        hash = unchecked((hash * 31) + data[i]);
    }
    return hash;
}

