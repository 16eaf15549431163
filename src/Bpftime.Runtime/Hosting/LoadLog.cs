using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Bpftime.Hosting;

/// <summary>
/// Where the loader says what it chose and why: one <see cref="ILogger"/> standing for every sink the
/// options name (<see cref="BpfLoadOptions.LoggerFactory"/>, <see cref="BpfLoadOptions.Logger"/> and the
/// <see cref="BpfLoadOptions.Log"/> callback), or none. Messages are the source-generated ones of
/// <see cref="Diagnostics.BpftimeLog"/>.
/// </summary>
internal readonly struct LoadLog
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public LoadLog(BpfLoadOptions options)
    {
        _logger = options.LoggerFactory is null && options.Logger is null && options.Log is null ? null : Combine(options);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static ILogger? Combine(BpfLoadOptions options)
    {
        ILogger? fromFactory = options.LoggerFactory?.CreateLogger(Diagnostics.BpftimeLog.Category);
        ILogger? callback = options.Log is { } write ? new CallbackLogger(write) : null;
        ILogger?[] named = [fromFactory, options.Logger, callback];
        var sinks = Array.FindAll(named, l => l is not null);
        return sinks.Length switch
        {
            0 => null,
            1 => sinks[0],
            _ => new FanOutLogger(sinks!),
        };
    }

    // Null when no sink is named: the common embedded load then never touches the logging assembly's
    // types (each assembly and type load is start-up time). The members that do touch them are kept out
    // of their callers (NoInlining): precompiled code resolves the types a method uses before it first
    // runs, so one inlined IsEnabled call would load the assembly on every load.
    private readonly ILogger? _logger;

    /// <summary>The sinks as one logger; <see cref="NullLogger"/> (every level off) when the options name none.</summary>
    public ILogger Logger
    {
        [MethodImpl(MethodImplOptions.NoInlining)]
        get => _logger ?? NullLogger.Instance;
    }

    public void NativeCodeLoaded(BpfObject loaded, string resource)
    {
        if (_logger is { } logger)
        {
            NativeCodeLoaded(logger, loaded, resource);
        }
    }

    public void BytecodeLoaded(BpfObject loaded, string engine)
    {
        if (_logger is { } logger)
        {
            BytecodeLoaded(logger, loaded, engine);
        }
    }

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1873", Justification = "Guarded by IsEnabled, which the rule does not follow into generated methods.")]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void NativeCodeLoaded(ILogger logger, BpfObject loaded, string resource)
    {
        if (logger.IsEnabled(LogLevel.Information))
        {
            Diagnostics.BpftimeLog.NativeCodeLoaded(logger, loaded.Name, resource, loaded.Programs.Count, loaded.VerifiedSummary());
        }
    }

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1873", Justification = "Guarded by IsEnabled, which the rule does not follow into generated methods.")]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void BytecodeLoaded(ILogger logger, BpfObject loaded, string engine)
    {
        if (logger.IsEnabled(LogLevel.Information))
        {
            Diagnostics.BpftimeLog.BytecodeLoaded(logger, loaded.Name, engine, loaded.Programs.Count, loaded.VerifiedSummary());
        }
    }

    /// <summary>The <see cref="BpfLoadOptions.Log"/> callback: one line per message, prefixed as the command's own lines are.</summary>
    private sealed class CallbackLogger(Action<string> write) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            ArgumentNullException.ThrowIfNull(formatter);
            write("bpftime: " + formatter(state, exception));
        }
    }

    private sealed class FanOutLogger(ILogger[] loggers) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => Array.Exists(loggers, l => l.IsEnabled(logLevel));

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            foreach (var logger in loggers)
            {
                if (logger.IsEnabled(logLevel))
                {
                    logger.Log(logLevel, eventId, state, exception, formatter);
                }
            }
        }
    }
}
