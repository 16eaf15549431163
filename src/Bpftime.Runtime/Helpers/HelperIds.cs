namespace Bpftime.Helpers;

/// <summary>Helper numbers as Linux assigns them (enum bpf_func_id), for the helpers this runtime implements.</summary>
public static class HelperIds
{
    public const int MapLookupElem = 1;
    public const int MapUpdateElem = 2;
    public const int MapDeleteElem = 3;
    public const int ProbeRead = 4;
    public const int KtimeGetNs = 5;
    public const int TracePrintk = 6;
    public const int GetPrandomU32 = 7;
    public const int GetSmpProcessorId = 8;
    public const int TailCall = 12;
    public const int GetCurrentPidTgid = 14;
    public const int GetCurrentUidGid = 15;
    public const int GetCurrentComm = 16;
    public const int Redirect = 23;
    public const int XdpAdjustHead = 44;
    public const int ProbeReadStr = 45;
    public const int XdpAdjustTail = 65;
    public const int MapPushElem = 87;
    public const int MapPopElem = 88;
    public const int MapPeekElem = 89;
    public const int SpinLock = 93;
    public const int SpinUnlock = 94;
    public const int ProbeReadUser = 112;
    public const int ProbeReadKernel = 113;
    public const int ProbeReadUserStr = 114;
    public const int ProbeReadKernelStr = 115;
    public const int KtimeGetBootNs = 125;
    public const int RingbufOutput = 130;
    public const int RingbufReserve = 131;
    public const int RingbufSubmit = 132;
    public const int RingbufDiscard = 133;
    public const int RingbufQuery = 134;
    public const int KtimeGetCoarseNs = 160;
    public const int ForEachMapElem = 164;
    public const int Snprintf = 165;
    public const int TraceVprintk = 177;
    public const int Loop = 181;
    public const int Strncmp = 182;

    /// <summary>The first id a host may give its own helpers.</summary>
    public const int FirstHostId = 1000;
}
