using Bpftime.Sandbox.Fuzz.Running;

// The escape fuzzer's child: one batch of generated programs on one engine in one mode (see FuzzChild for
// the line protocol, docs/fuzzing.md for what is checked). Run by the parent test, or by hand:
//   dotnet Bpftime.Sandbox.Fuzz.dll --engine jit --mode checked --seed 1 --start 0 --count 100
// "disasm SEED" prints the program that SEED generates; "minimize KIND --engine E --mode M --seed S" shrinks a
// failing program (KIND: crash, leak, canary, canaryread, hang) to what still fails that way.
if (args.Length == 2 && args[0] == "disasm")
{
    var helpers = Bpftime.Helpers.StandardHelpers.CreateDefault(Bpftime.Helpers.TraceSink.Discard);
    var program = new Bpftime.Sandbox.Fuzz.Generation.HostileProgramGenerator(int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture), helpers).Generate();
    Console.WriteLine($"seed {program.Seed}, {(program.Xdp ? "xdp" : "raw")} context, hostility {program.Hostility}");
    Console.WriteLine(program.Disassembly);
    return 0;
}
if (args.Length > 1 && args[0] == "minimize")
{
    return ProgramMinimizer.Run(FuzzOptions.Parse(args[2..]), args[1], Console.Out);
}
var options = FuzzOptions.Parse(args);
var output = new StreamWriter(Console.OpenStandardOutput()) { AutoFlush = true };
using var child = new FuzzChild(options, output);
child.Run();
return 0;
