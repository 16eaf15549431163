using Bpftime.Engines;
using Bpftime.Execution;

namespace Bpftime.Helpers;

/// <summary>
/// Helper bodies run under native code, where no exception may unwind: an unexpected failure is
/// recorded for the engine to raise once the helper has returned, and the helper answers with an error.
/// </summary>
internal static class HelperFault
{
    public static ulong Record(Exception error, ulong result)
    {
        ProgramCallback.RecordFault(error);
        return result;
    }

    public static ulong Errno(int errno) => unchecked((ulong)(long)-errno);
}
