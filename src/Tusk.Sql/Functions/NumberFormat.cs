using System.Globalization;
using System.Text;
using Tusk.Sql.Types;

namespace Tusk.Sql.Functions;

/// <summary>
/// to_char(number, format) and to_number with PostgreSQL's numeric template: 9 (digit, blank when leading), 0
/// (digit, zero when leading), . or D (decimal point), , or G (group separator, blank before the first digit),
/// S / MI / PL / SG / PR (sign placement), FM (no padding, trailing fraction zeros dropped). Without a sign pattern
/// a column is reserved for the sign, written right before the first digit. Too many digits print as #.
/// </summary>
internal static class NumberFormat
{
    private enum Kind { Digit9, Digit0, Point, Group, Sign, Minus, Plus, SignPlusMinus, Brackets, Literal }

    private readonly record struct Item(Kind Kind, string Text);

    private static (List<Item> Items, bool FillMode) Tokenize(string format)
    {
        var items = new List<Item>();
        var fill = false;
        for (var i = 0; i < format.Length; i++)
        {
            var rest = format.AsSpan(i);
            if (rest.StartsWith("FM", StringComparison.OrdinalIgnoreCase)) { fill = true; i++; continue; }
            if (rest.StartsWith("MI", StringComparison.OrdinalIgnoreCase)) { items.Add(new(Kind.Minus, "")); i++; continue; }
            if (rest.StartsWith("PL", StringComparison.OrdinalIgnoreCase)) { items.Add(new(Kind.Plus, "")); i++; continue; }
            if (rest.StartsWith("SG", StringComparison.OrdinalIgnoreCase)) { items.Add(new(Kind.SignPlusMinus, "")); i++; continue; }
            if (rest.StartsWith("PR", StringComparison.OrdinalIgnoreCase)) { items.Add(new(Kind.Brackets, "")); i++; continue; }
            items.Add(format[i] switch
            {
                '9' => new(Kind.Digit9, ""),
                '0' => new(Kind.Digit0, ""),
                '.' or 'D' or 'd' => new(Kind.Point, ""),
                ',' or 'G' or 'g' => new(Kind.Group, ""),
                'S' or 's' => new(Kind.Sign, ""),
                _ => new(Kind.Literal, format[i].ToString()),
            });
        }
        return (items, fill);
    }

    public static string Format(SqlNumeric value, string format)
    {
        if (!value.IsFinite) return value.ToString();
        var (items, fill) = Tokenize(format);
        var pointIndex = items.FindIndex(x => x.Kind == Kind.Point);
        var integerSlots = items.Where((x, i) => x.Kind is Kind.Digit9 or Kind.Digit0 && (pointIndex < 0 || i < pointIndex)).Count();
        var fractionItems = pointIndex < 0 ? [] : items.Skip(pointIndex + 1).Where(x => x.Kind is Kind.Digit9 or Kind.Digit0).ToList();
        var fractionSlots = fractionItems.Count;
        var negative = value.Sign < 0;
        var digits = value.Abs().Round(fractionSlots).ToString();
        var integerDigits = fractionSlots > 0 ? digits[..digits.IndexOf('.', StringComparison.Ordinal)] : digits;
        var fractionDigits = fractionSlots > 0 ? digits[(digits.IndexOf('.', StringComparison.Ordinal) + 1)..] : "";
        if (integerDigits == "0") integerDigits = fractionSlots == 0 || items.Take(pointIndex < 0 ? items.Count : pointIndex).Any(x => x.Kind == Kind.Digit0) ? "0" : "";
        var overflow = integerDigits.Length > integerSlots;
        if (overflow) negative = false;
        var hasSignPattern = items.Any(x => x.Kind is Kind.Sign or Kind.Minus or Kind.Plus or Kind.SignPlusMinus or Kind.Brackets);

        var builder = new StringBuilder();
        var slot = 0;           // integer digit slot, left to right
        var fractionSlot = 0;
        var started = false;    // a digit (or forced zero) has been written
        var firstZero = items.FindIndex(x => x.Kind == Kind.Digit0);
        var signWritten = false;
        for (var i = 0; i < items.Count; i++)
        {
            var item = items[i];
            var inInteger = pointIndex < 0 || i < pointIndex;
            switch (item.Kind)
            {
                case Kind.Digit9 or Kind.Digit0 when inInteger:
                {
                    var digitIndex = slot - (integerSlots - integerDigits.Length);
                    slot++;
                    if (overflow) { builder.Append('#'); break; }
                    if (digitIndex >= 0 || firstZero >= 0 && i >= firstZero)
                    {
                        if (!started && !hasSignPattern) { builder.Append(negative ? '-' : ' '); signWritten = true; }
                        started = true;
                        builder.Append(digitIndex >= 0 ? integerDigits[digitIndex] : '0');
                    }
                    else builder.Append(' ');
                    break;
                }
                case Kind.Digit9 or Kind.Digit0:
                    builder.Append(overflow ? '#' : fractionDigits[fractionSlot]);
                    fractionSlot++;
                    break;
                case Kind.Point:
                    if (!started && !hasSignPattern && !signWritten) { builder.Append(negative ? '-' : ' '); signWritten = true; }
                    started = true;
                    builder.Append(overflow ? '#' : '.');
                    break;
                case Kind.Group:
                    builder.Append(started || overflow ? ',' : ' ');
                    break;
                case Kind.Sign: builder.Append(negative ? '-' : '+'); break;
                case Kind.Minus: builder.Append(negative ? '-' : ' '); break;
                case Kind.Plus: builder.Append(negative ? ' ' : '+'); break;
                case Kind.SignPlusMinus: builder.Append(negative ? '-' : '+'); break;
                case Kind.Brackets: break;
                default: builder.Append(item.Text); break;
            }
        }
        if (!hasSignPattern && !signWritten) builder.Insert(0, overflow ? " " : negative ? "-" : " ");
        var text = builder.ToString();
        if (items.Any(x => x.Kind == Kind.Brackets)) text = negative ? "<" + text + ">" : " " + text + " ";
        if (!fill) return text;
        // FM: no padding, and fraction zeros written by 9s at the end are dropped.
        text = text.TrimStart(' ');
        if (pointIndex >= 0 && !overflow)
        {
            var removable = 0;
            for (var k = fractionItems.Count - 1; k >= 0 && fractionItems[k].Kind == Kind.Digit9 && fractionDigits[k] == '0'; k--) removable++;
            var pointAt = text.LastIndexOf('.');
            if (removable > 0 && pointAt >= 0) text = text.Remove(pointAt + 1 + fractionSlots - removable, removable);
        }
        return text;
    }

    /// <summary>to_number: keeps digits, the decimal point and a minus sign (or PR's angle brackets) from the input.</summary>
    public static SqlNumeric Parse(string input, string format)
    {
        var (items, _) = Tokenize(format);
        var pointIndex = items.FindIndex(x => x.Kind == Kind.Point);
        var fractionSlots = pointIndex < 0 ? 0 : items.Skip(pointIndex + 1).Count(x => x.Kind is Kind.Digit9 or Kind.Digit0);
        var builder = new StringBuilder();
        var negative = false;
        var seenPoint = false;
        foreach (var c in input)
        {
            if (char.IsAsciiDigit(c)) builder.Append(c);
            else if (c == '.' && pointIndex >= 0 && !seenPoint) { builder.Append(c); seenPoint = true; }
            else if (c is '-' or '<') negative = true;
        }
        if (builder.Length == 0 || builder.ToString() == ".") throw new SqlDataException("22P02", $"invalid input syntax for type numeric: \" \"");
        var text = builder.ToString();
        var value = SqlNumeric.Parse(text.StartsWith('.') ? "0" + text : text).Round(fractionSlots);
        return negative ? -value : value;
    }
}
