using System.Globalization;

namespace Tusk.Cli.Bench;

/// <summary>Reads this process's memory figures from /proc/self/status (Linux).</summary>
internal static class ProcessMemory
{
    /// <summary>Peak resident set size (VmHWM) in bytes, or null where /proc is not available.</summary>
    public static long? PeakResidentBytes()
    {
        try
        {
            foreach (string line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                {
                    string[] parts = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
                    return long.Parse(parts[1], CultureInfo.InvariantCulture) * 1024; // reported in kB
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
        return null;
    }
}
