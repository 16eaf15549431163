namespace Bpftime.Verification;

/// <summary>
/// What checking a helper call's argument assertions learned for its transfer function: the map
/// argument (which sizes the key and value, and the result), the callback and the context it is
/// given, and the ring-buffer record the call releases.
/// </summary>
internal struct HelperCallFacts
{
    public int Map;
    public RegisterState Function;
    public RegisterState CallbackContext;
    public int Released;

    public static HelperCallFacts None => new() { Map = -1 };
}
