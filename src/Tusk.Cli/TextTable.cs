using System.Globalization;

namespace Tusk.Cli;

/// <summary>
/// A plain-text table with a header row and columns padded to their widest cell, two spaces apart (like the
/// Kafka tools' output). Text columns are left-aligned, number columns right-aligned; trailing spaces are
/// trimmed so lines compare cleanly in scripts.
/// </summary>
internal sealed class TextTable
{
    private readonly List<(string Header, bool Right)> _columns = [];
    private readonly List<string[]> _rows = [];

    /// <summary>Adds a left-aligned column.</summary>
    public TextTable Left(string header)
    {
        _columns.Add((header, false));
        return this;
    }

    /// <summary>Adds a right-aligned column (numbers).</summary>
    public TextTable Right(string header)
    {
        _columns.Add((header, true));
        return this;
    }

    /// <summary>A number as a cell (invariant culture).</summary>
    public static string Number(long n) => n.ToString(CultureInfo.InvariantCulture);

    /// <summary>A number as a cell, or "-" when unknown.</summary>
    public static string OrDash(long? n) => n is { } v ? Number(v) : "-";

    /// <summary>Rows added so far.</summary>
    public int RowCount => _rows.Count;

    /// <summary>Adds a row: one cell per column.</summary>
    public void Add(params string[] cells)
    {
        if (cells.Length != _columns.Count)
        {
            throw new ArgumentException($"a row needs {_columns.Count} cells, got {cells.Length}", nameof(cells));
        }
        _rows.Add(cells);
    }

    /// <summary>Writes the header and the rows.</summary>
    public void WriteTo(TextWriter output)
    {
        var widths = new int[_columns.Count];
        for (int c = 0; c < _columns.Count; c++)
        {
            widths[c] = _columns[c].Header.Length;
            foreach (string[] row in _rows)
            {
                widths[c] = Math.Max(widths[c], row[c].Length);
            }
        }
        WriteRow(output, [.. _columns.Select(c => c.Header)], widths);
        foreach (string[] row in _rows)
        {
            WriteRow(output, row, widths);
        }
    }

    private void WriteRow(TextWriter output, string[] cells, int[] widths)
    {
        var line = new System.Text.StringBuilder();
        for (int c = 0; c < cells.Length; c++)
        {
            if (c > 0)
            {
                line.Append("  ");
            }
            line.Append(_columns[c].Right ? cells[c].PadLeft(widths[c]) : cells[c].PadRight(widths[c]));
        }
        output.WriteLine(line.ToString().TrimEnd());
    }
}
