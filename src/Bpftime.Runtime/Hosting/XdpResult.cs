namespace Bpftime.Hosting;

/// <summary>An XDP run's verdict and the packet as the program left it.</summary>
public readonly record struct XdpResult(XdpAction Action, byte[] Packet);
