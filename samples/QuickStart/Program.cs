using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using Bpftime.Hosting;
using Bpftime.Maps;

// Loads filter.bpf.o as the build embedded it (native code for this machine when available),
// runs its program over a message, and shows what it computed and which engine ran it.
var mainStarted = Stopwatch.GetTimestamp();
var message = Encoding.UTF8.GetBytes(args.Length > 0 ? args[0] : "Hello, eBPF from .NET!");

Bpf.Filter filter;
try
{
    filter = Bpf.Filter.Load(new BpfLoadOptions { Log = line => Console.WriteLine(line) });
}
catch (Bpftime.Diagnostics.BpfException error)
{
    Console.Error.WriteLine(error.Diagnostic.ToCanonicalString());
    return 1;
}
using var loaded = filter;
var hash = filter.Checksum.Run(message);
var firstRun = DateTime.Now - Process.GetCurrentProcess().StartTime;
var loadAndRun = Stopwatch.GetElapsedTime(mainStarted);
filter.Checksum.Run(message);

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
