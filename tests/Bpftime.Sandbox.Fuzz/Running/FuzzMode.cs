namespace Bpftime.Sandbox.Fuzz.Running;

/// <summary>How programs run: checked (unverified, run-time memory checks) or verified (only those the verifier accepts, checks dropped).</summary>
internal enum FuzzMode
{
    Checked,
    Verified,
}
