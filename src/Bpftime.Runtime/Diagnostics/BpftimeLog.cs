using Microsoft.Extensions.Logging;

namespace Bpftime.Diagnostics;

/// <summary>
/// The loader's log messages, each with a stable event id (category <c>Bpftime.Hosting.BpfObject</c>).
/// Source-generated: a message whose level is off costs one IsEnabled check, and templates are parsed
/// once. Choices that are expected are Information; a fallback to a slower or checked path is a Warning.
/// </summary>
public static partial class BpftimeLog
{
    /// <summary>The logger category the loader writes under.</summary>
    public const string Category = "Bpftime.Hosting.BpfObject";

    /// <summary>Event ids, so that hosts can filter or alert on one decision.</summary>
    public static class Events
    {
        public const int EngineFromEnvironment = 1;
        public const int NativeCodeLoaded = 2;
        public const int NativeCodeFallback = 3;
        public const int AotEnvironmentIgnored = 4;
        public const int BytecodeLoaded = 5;
        public const int EngineRefused = 6;
        public const int VerificationOff = 7;
        public const int RunsChecked = 8;
        public const int TerminationNotProven = 9;
    }

    [LoggerMessage(EventId = Events.EngineFromEnvironment, Level = LogLevel.Information,
        Message = "engine '{Engine}' chosen by ${Variable}")]
    internal static partial void EngineFromEnvironment(ILogger logger, string engine, string variable);

    [LoggerMessage(EventId = Events.NativeCodeLoaded, Level = LogLevel.Information,
        Message = "{Object}: native code from {Resource} ({ProgramCount} program(s), {Verified})")]
    internal static partial void NativeCodeLoaded(ILogger logger, string @object, string resource, int programCount, string verified);

    [LoggerMessage(EventId = Events.NativeCodeFallback, Level = LogLevel.Warning,
        Message = "{Object}: {Reason}; running the embedded bytecode instead ({Code})")]
    internal static partial void NativeCodeFallback(ILogger logger, string @object, string reason, string code);

    [LoggerMessage(EventId = Events.AotEnvironmentIgnored, Level = LogLevel.Information,
        Message = "{Object}: ${Variable}=aot applies to embedded native code; this is bytecode, so the automatic order runs it")]
    internal static partial void AotEnvironmentIgnored(ILogger logger, string @object, string variable);

    [LoggerMessage(EventId = Events.BytecodeLoaded, Level = LogLevel.Information,
        Message = "{Object}: bytecode on '{Engine}' ({ProgramCount} program(s), {Verified})")]
    internal static partial void BytecodeLoaded(ILogger logger, string @object, string engine, int programCount, string verified);

    [LoggerMessage(EventId = Events.EngineRefused, Level = LogLevel.Warning,
        Message = "{Object}: engine '{Engine}' refused the object ({Code}: {Reason}); trying the next")]
    internal static partial void EngineRefused(ILogger logger, string @object, string engine, string code, string reason);

    [LoggerMessage(EventId = Events.VerificationOff, Level = LogLevel.Warning,
        Message = "{Object}: verification is off (BpfLoadOptions.Verify = false); every program runs with run-time memory checks")]
    internal static partial void VerificationOff(ILogger logger, string @object);

    [LoggerMessage(EventId = Events.RunsChecked, Level = LogLevel.Warning,
        Message = "{Object}: program '{Program}' runs with run-time memory checks: the verifier refused it: {Reason}")]
    internal static partial void RunsChecked(ILogger logger, string @object, string program, string reason);

    [LoggerMessage(EventId = Events.TerminationNotProven, Level = LogLevel.Warning,
        Message = "{Object}: program '{Program}' is verified, but the end of {Loops} was not proven: it runs under the execution budget ({Budget} backward jumps, calls and callbacks; BpfLoadOptions.RequireTermination refuses such programs)")]
    internal static partial void TerminationNotProven(ILogger logger, string @object, string program, string loops, string budget);
}
