using System.Globalization;

namespace Bpftime.Sandbox.Fuzz.Sandbox;

/// <summary>
/// The mappings of this process, from /proc/self/maps, sorted by address. Read again whenever a value
/// is not found (maps and code are created while programs load and run).
/// </summary>
internal sealed class ProcessMappings
{
    private ProcessMapping[] _mappings = [];

    public ProcessMappings() => Refresh();

    public int Count => _mappings.Length;

    public void Refresh()
    {
        var list = new List<ProcessMapping>();
        foreach (var line in File.ReadLines("/proc/self/maps"))
        {
            var fields = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 5)
            {
                continue;
            }
            var range = fields[0].Split('-');
            list.Add(new ProcessMapping(
                ulong.Parse(range[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture),
                ulong.Parse(range[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture),
                fields[1],
                fields.Length > 5 ? fields[5].Trim() : ""));
        }
        list.Sort((a, b) => a.Start.CompareTo(b.Start));
        _mappings = [.. list];
    }

    /// <summary>The mapping holding <paramref name="address"/>, reading the maps again once if it is not known.</summary>
    public ProcessMapping? Find(ulong address)
    {
        return Search(address) ?? (Refreshed() ? Search(address) : null);
    }

    private bool Refreshed()
    {
        Refresh();
        return true;
    }

    private ProcessMapping? Search(ulong address)
    {
        int low = 0, high = _mappings.Length - 1;
        while (low <= high)
        {
            var middle = (low + high) / 2;
            var mapping = _mappings[middle];
            if (address < mapping.Start)
            {
                high = middle - 1;
            }
            else if (address >= mapping.End)
            {
                low = middle + 1;
            }
            else
            {
                return mapping;
            }
        }
        return null;
    }
}
