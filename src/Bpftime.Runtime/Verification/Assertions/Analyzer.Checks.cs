using Bpftime.Diagnostics;
using Bpftime.Helpers;

namespace Bpftime.Verification;

/// <summary>The checks of instruction-level assertions against a state; helper arguments are in Analyzer.ArgumentChecks.cs.</summary>
internal sealed partial class Analyzer
{
    private readonly Assertion[]?[] _assertions;
    private readonly AssertionExtractor _extractor;

    /// <summary>The rule of the helper call being checked and what its argument checks learned, for its transfer.</summary>
    private HelperRule? _callRule;
    private HelperCallFacts _callFacts;

    /// <summary>The instruction's assertions, extracted on its first visit.</summary>
    private Assertion[] AssertionsAt(int pc) => _assertions[pc] ??= _extractor.Extract(_code[pc]);

    /// <summary>Checks every assertion of the instruction at <paramref name="pc"/>, in order; the first that fails throws its diagnostic.</summary>
    private void CheckAssertions(VerifierState state, int pc)
    {
        foreach (var assertion in AssertionsAt(pc))
        {
            if (assertion is RegisterInitialized initialized)
            {
                Use(state, initialized.Register, pc, initialized.Role);
            }
            else if (assertion is HelperArgumentAssertion argument)
            {
                CheckArgument(state, pc, argument);
            }
            else if (assertion is HelperAvailable available)
            {
                Check(pc, available);
            }
            else if (assertion is LockDiscipline discipline)
            {
                Check(state, pc, discipline);
            }
            else if (assertion is NoHeldReferences)
            {
                CheckNoHeldReferences(state, pc);
            }
            else
            {
                CheckInstructionAssertion(state, pc, assertion);
            }
        }
    }

    /// <summary>The assertions of exit, legacy packet loads and atomic operations.</summary>
    private void CheckInstructionAssertion(VerifierState state, int pc, Assertion assertion)
    {
        switch (assertion)
        {
            case ReturnValueSet:
                CheckReturnValueSet(state, pc);
                break;
            case LockReleasedAtExit:
                CheckLockReleasedAtExit(state, pc);
                break;
            case ReturnValueKind:
                CheckReturnValueKind(state, pc);
                break;
            case ReferencesReleasedAtExit:
                CheckReferencesReleasedAtExit(state, pc);
                break;
            case LegacyPacketLoadAllowed:
                CheckLegacyPacketLoadAllowed(state, pc);
                break;
            case LegacyPacketSocketBuffer:
                CheckLegacyPacketSocketBuffer(state, pc);
                break;
            case LegacyPacketOffset offset:
                Check(state, pc, offset);
                break;
            case AtomicOperand operand:
                Check(state, pc, operand);
                break;
            case AtomicTarget target:
                Check(state, pc, target);
                break;
            case CmpxchgExpected:
                CheckCmpxchgExpected(state, pc);
                break;
            default:
                throw new InvalidOperationException($"no check for the assertion {assertion}");
        }
    }

    private void Check(int pc, HelperAvailable assertion)
    {
        var id = assertion.Id;
        var rule = assertion.Rule;
        if (rule is null)
        {
            var known = HelperCatalogue.Find(id);
            throw new VerificationError(DiagnosticCodes.VerifierUnknownHelper, pc,
                known is not null
                    ? $"helper #{id} ({known.Name}) is not provided by the host's helper table '{_options.Helpers?.Name}'"
                    : $"helper #{id} is unknown: it is neither a Linux helper the verifier knows nor one the host provides");
        }
        if (_options.Helpers?.Find(id) is { ProvidedOnlyBy: { } grantingSet } standIn)
        {
            throw new VerificationError(DiagnosticCodes.VerifierUnknownHelper, pc,
                $"helper #{id} ({standIn.Name}) reads the host's memory, so the helper table '{_options.Helpers.Name}' does not grant it; only the \"{grantingSet}\" set does (BpfHelperSet={grantingSet})");
        }
        if (ReferenceEquals(rule, HelperCatalogue.Find(id)))
        {
            CheckOfferedToProgramType(pc, rule);
        }
        _callRule = rule;
        _callFacts = HelperCallFacts.None;
    }

    /// <summary>One spin lock at a time, released on every path, and no other calls while it is held.</summary>
    private static void Check(VerifierState state, int pc, LockDiscipline assertion)
    {
        var held = state.LockHeldSince;
        switch (assertion.Id)
        {
            case HelperIds.SpinLock when held >= 0:
                throw new VerificationError(DiagnosticCodes.VerifierSpinLockMisuse, pc,
                    $"a spin lock is taken while the one taken at instruction {held} is still held; release it first (one lock at a time)");
            case HelperIds.SpinLock:
                return;
            case HelperIds.SpinUnlock when held < 0:
                throw new VerificationError(DiagnosticCodes.VerifierSpinLockMisuse, pc, "bpf_spin_unlock without a held lock");
            case HelperIds.SpinUnlock:
                return;
            default:
                if (held >= 0)
                {
                    throw new VerificationError(DiagnosticCodes.VerifierSpinLockMisuse, pc,
                        $"{assertion.HelperName} is called while holding the spin lock taken at instruction {held}; only bpf_spin_unlock may be called in a critical section");
                }
                return;
        }
    }

    private static void CheckNoHeldReferences(VerifierState state, int pc)
    {
        if (state.References.Count > 0)
        {
            throw new VerificationError(DiagnosticCodes.VerifierTailCallWithReference, pc,
                $"a tail call while the ring-buffer record reserved at instruction {state.References[0].Instruction} is held would leak it; submit or discard it first");
        }
    }

    /// <summary>
    /// Linux offers each helper to some program types only (its func_proto per type); a program whose
    /// context names its type may call no other. Helpers returning a pointer kind the verifier does not
    /// track are refused here too, before their arguments are looked at.
    /// </summary>
    private void CheckOfferedToProgramType(int pc, HelperRule rule)
    {
        if (_context.ProgramType is { } type && !rule.IsOfferedTo(type))
        {
            throw new VerificationError(DiagnosticCodes.VerifierHelperNotForProgramType, pc,
                $"{rule.Name} (#{rule.Id}) is not available to {type} programs; Linux offers it to {string.Join(", ", rule.ProgramTypes!.Order())} programs only");
        }
        if (rule.Prototype.Return == HelperReturnKind.UntrackedPointer)
        {
            throw new VerificationError(DiagnosticCodes.VerifierUntrackedHelperPointer, pc,
                $"{rule.Name} (#{rule.Id}) returns a pointer the verifier does not track (a socket or kernel object that must be checked and released); programs that call it cannot be verified");
        }
    }
}
