using Bpftime.Compiler.IrGen;
using Bpftime.Engines.Aot;

namespace Bpftime.Compiler.Aot;

/// <summary>An ELF relocatable object with its metadata (also stored inside it, in <see cref="AotMetadata.SectionName"/>).</summary>
public sealed record AotObject(byte[] Bytes, AotMetadata Metadata, CompileTimings Timings);
