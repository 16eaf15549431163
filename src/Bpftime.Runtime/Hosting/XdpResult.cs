namespace Bpftime.Hosting;

/// <summary>An XDP run's verdict, the packet as the program left it, and for XDP_REDIRECT the interface chosen.</summary>
public readonly record struct XdpResult(XdpAction Action, byte[] Packet, uint EgressIfindex = 0);
