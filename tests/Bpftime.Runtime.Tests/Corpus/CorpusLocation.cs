namespace Bpftime.Tests.Corpus;

/// <summary>Where the real-world corpus (the ebpf-samples objects) and PREVAIL's verdicts on it are.</summary>
internal static class CorpusLocation
{
    public const string SkipReason =
        "the ebpf-samples corpus was not found: set BPF_CORPUS_DIR or place it in ../shared/corpus/ebpf-samples beside the repository";

    /// <summary>$BPF_CORPUS_DIR first, then ../shared/corpus/ebpf-samples beside the repository; null when absent.</summary>
    public static string? Directory
    {
        get
        {
            var fromEnvironment = Environment.GetEnvironmentVariable("BPF_CORPUS_DIR");
            if (!string.IsNullOrEmpty(fromEnvironment))
            {
                return System.IO.Directory.Exists(fromEnvironment) ? fromEnvironment : null;
            }
            var beside = Path.GetFullPath(Path.Combine(TestPaths.RepositoryRoot, "..", "shared", "corpus", "ebpf-samples"));
            return System.IO.Directory.Exists(beside) ? beside : null;
        }
    }

    /// <summary>PREVAIL's published verdict per section of the corpus (tests/data/corpus/prevail-verdicts.tsv).</summary>
    public static string PrevailVerdictsFile => Path.Combine(TestPaths.DataDirectory, "corpus", "prevail-verdicts.tsv");
}
