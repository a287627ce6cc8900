using System.Globalization;
using System.Text;

namespace Tusk.Simulation.Checkers;

/// <summary>
/// A text form of a history of <see cref="KvOperation"/>s, one operation per line, so a failing history can be
/// printed, saved and replayed:
/// <code>
/// # id client invoke response command -> result
/// 0 c1 10 20 put "k" "a" -> ok
/// 1 c2 12 25 get "k" -> "a"
/// 2 c3 13 ? cas "k" nil "b" -> unknown
/// 3 c1 30 40 cas "k" "a" "c" -> false
/// 4 c2 31 35 get "k" -> failed
/// </code>
/// Fields: id, <c>c</c>+client id, invoke time, response time (<c>?</c> = <see cref="KvOperation.NoResponse"/>),
/// <c>get key</c> | <c>put key value</c> | <c>cas key expected new</c>, <c>-&gt;</c>, and the result: the value read
/// (Ok get), <c>ok</c> (Ok put), <c>true</c>/<c>false</c> (Ok cas), <c>failed</c> or <c>unknown</c>. Keys and values
/// are double-quoted with C escapes (<c>\\ \" \n \r \t \uXXXX</c>); <c>nil</c> is an absent value. Blank lines and
/// lines starting with <c>#</c> are ignored. <see cref="Parse"/> of <see cref="Format"/> gives equal records.
/// </summary>
public static class KvHistoryFormat
{
    /// <summary>The comment line <see cref="Write"/> starts with.</summary>
    public const string Header = "# id client invoke response command -> result";

    private const string Nil = "nil";
    private const string Arrow = "->";

    /// <summary>Writes <see cref="Header"/> and one line per operation, in the given order.</summary>
    public static void Write(TextWriter writer, IEnumerable<KvOperation> history)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(history);
        writer.WriteLine(Header);
        foreach (KvOperation operation in history)
        {
            writer.WriteLine(FormatLine(operation));
        }
    }

    /// <summary>What <see cref="Write"/> writes, as a string.</summary>
    public static string Format(IEnumerable<KvOperation> history)
    {
        using var writer = new StringWriter(CultureInfo.InvariantCulture) { NewLine = "\n" };
        Write(writer, history);
        return writer.ToString();
    }

    /// <summary>One operation as a line (no newline).</summary>
    public static string FormatLine(KvOperation operation)
    {
        ArgumentNullException.ThrowIfNull(operation);
        var line = new StringBuilder(64);
        line.Append(operation.Id).Append(" c").Append(operation.ClientId).Append(' ').Append(operation.InvokeTime).Append(' ');
        if (operation.ResponseTime == KvOperation.NoResponse)
        {
            line.Append('?');
        }
        else
        {
            line.Append(operation.ResponseTime);
        }
        line.Append(' ');
        AppendCommand(line, operation);
        line.Append(' ').Append(Arrow).Append(' ');
        AppendResult(line, operation);
        return line.ToString();
    }

    /// <summary>A value as written in the format: quoted and escaped, or <c>nil</c>.</summary>
    public static string FormatValue(string? value)
    {
        var text = new StringBuilder();
        AppendValue(text, value);
        return text.ToString();
    }

    /// <summary>Parses a history; throws <see cref="FormatException"/> naming the line of the first error.</summary>
    public static List<KvOperation> Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var history = new List<KvOperation>();
        string[] lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i].TrimEnd('\r').Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }
            try
            {
                history.Add(ParseLine(line));
            }
            catch (FormatException e)
            {
                throw new FormatException($"line {i + 1}: {e.Message}: {line}", e);
            }
        }
        return history;
    }

    private static void AppendCommand(StringBuilder line, KvOperation operation)
    {
        switch (operation.Kind)
        {
            case KvOperationKind.Get:
                line.Append("get ");
                AppendQuoted(line, operation.Key);
                break;
            case KvOperationKind.Put:
                line.Append("put ");
                AppendQuoted(line, operation.Key);
                line.Append(' ');
                AppendValue(line, operation.Value);
                break;
            default:
                line.Append("cas ");
                AppendQuoted(line, operation.Key);
                line.Append(' ');
                AppendValue(line, operation.Expected);
                line.Append(' ');
                AppendValue(line, operation.Value);
                break;
        }
    }

    private static void AppendResult(StringBuilder line, KvOperation operation)
    {
        if (operation.Outcome == KvOutcome.Failed)
        {
            line.Append("failed");
        }
        else if (operation.Outcome == KvOutcome.Unknown)
        {
            line.Append("unknown");
        }
        else if (operation.Kind == KvOperationKind.Get)
        {
            AppendValue(line, operation.ReadValue);
        }
        else if (operation.Kind == KvOperationKind.Put)
        {
            line.Append("ok");
        }
        else
        {
            line.Append(operation.CasSucceeded ? "true" : "false");
        }
    }

    private static void AppendValue(StringBuilder text, string? value)
    {
        if (value is null)
        {
            text.Append(Nil);
        }
        else
        {
            AppendQuoted(text, value);
        }
    }

    private static void AppendQuoted(StringBuilder text, string value)
    {
        text.Append('"');
        foreach (char c in value)
        {
            switch (c)
            {
                case '\\': text.Append("\\\\"); break;
                case '"': text.Append("\\\""); break;
                case '\n': text.Append("\\n"); break;
                case '\r': text.Append("\\r"); break;
                case '\t': text.Append("\\t"); break;
                default:
                    if (char.IsControl(c))
                    {
                        text.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        text.Append(c);
                    }
                    break;
            }
        }
        text.Append('"');
    }

    private readonly record struct Token(string Text, bool Quoted);

    private static KvOperation ParseLine(string line)
    {
        List<Token> tokens = Tokenize(line);
        if (tokens.Count < 7)
        {
            throw new FormatException("expected: id cN invoke response command key [values] -> result");
        }
        int id = ParseInt(Bare(tokens[0], "id"), "id");
        string client = Bare(tokens[1], "client");
        if (client.Length < 2 || client[0] != 'c')
        {
            throw new FormatException($"client '{client}' should be c<number>");
        }
        int clientId = ParseInt(client[1..], "client");
        long invoke = ParseLong(Bare(tokens[2], "invoke time"), "invoke time");
        string responseText = Bare(tokens[3], "response time");
        long response = responseText == "?" ? KvOperation.NoResponse : ParseLong(responseText, "response time");
        KvOperationKind kind = ParseKind(Bare(tokens[4], "command"));
        int argumentCount = kind switch { KvOperationKind.Get => 0, KvOperationKind.Put => 1, _ => 2 };
        if (tokens.Count != 8 + argumentCount)
        {
            throw new FormatException($"{kind} takes a key and {argumentCount} value(s), then -> and a result");
        }
        if (!tokens[5].Quoted)
        {
            throw new FormatException("the key must be quoted");
        }
        if (tokens[6 + argumentCount].Quoted || tokens[6 + argumentCount].Text != Arrow)
        {
            throw new FormatException($"expected {Arrow} after the command");
        }
        var operation = new KvOperation
        {
            Id = id,
            ClientId = clientId,
            Kind = kind,
            Key = tokens[5].Text,
            Value = kind == KvOperationKind.Get ? null : ParseValue(tokens[5 + argumentCount]),
            Expected = kind == KvOperationKind.Cas ? ParseValue(tokens[6]) : null,
            InvokeTime = invoke,
            ResponseTime = response,
            Outcome = KvOutcome.Ok,
        };
        return WithResult(operation, tokens[7 + argumentCount]);
    }

    private static KvOperation WithResult(KvOperation operation, Token result)
    {
        if (!result.Quoted && result.Text == "failed")
        {
            return operation with { Outcome = KvOutcome.Failed };
        }
        if (!result.Quoted && result.Text == "unknown")
        {
            return operation with { Outcome = KvOutcome.Unknown };
        }
        switch (operation.Kind)
        {
            case KvOperationKind.Get:
                return operation with { ReadValue = ParseValue(result) };
            case KvOperationKind.Put:
                return !result.Quoted && result.Text == "ok"
                    ? operation
                    : throw new FormatException($"a put's result is ok, failed or unknown, not '{result.Text}'");
            default:
                if (!result.Quoted && (result.Text == "true" || result.Text == "false"))
                {
                    return operation with { CasSucceeded = result.Text == "true" };
                }
                throw new FormatException($"a cas's result is true, false, failed or unknown, not '{result.Text}'");
        }
    }

    private static KvOperationKind ParseKind(string text) => text switch
    {
        "get" => KvOperationKind.Get,
        "put" => KvOperationKind.Put,
        "cas" => KvOperationKind.Cas,
        _ => throw new FormatException($"unknown command '{text}' (get, put or cas)"),
    };

    private static string? ParseValue(Token token)
    {
        if (token.Quoted)
        {
            return token.Text;
        }
        return token.Text == Nil ? null : throw new FormatException($"a value is quoted or nil, not '{token.Text}'");
    }

    private static string Bare(Token token, string what) =>
        token.Quoted ? throw new FormatException($"{what} must not be quoted") : token.Text;

    private static int ParseInt(string text, string what) =>
        int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int value)
            ? value
            : throw new FormatException($"{what} '{text}' is not an integer");

    private static long ParseLong(string text, string what) =>
        long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long value)
            ? value
            : throw new FormatException($"{what} '{text}' is not an integer");

    private static List<Token> Tokenize(string line)
    {
        var tokens = new List<Token>();
        int i = 0;
        while (i < line.Length)
        {
            if (char.IsWhiteSpace(line[i]))
            {
                i++;
                continue;
            }
            if (line[i] == '"')
            {
                tokens.Add(new Token(ReadQuoted(line, ref i), Quoted: true));
                continue;
            }
            int start = i;
            while (i < line.Length && !char.IsWhiteSpace(line[i]) && line[i] != '"')
            {
                i++;
            }
            tokens.Add(new Token(line[start..i], Quoted: false));
        }
        return tokens;
    }

    /// <summary>Reads the quoted string opening at <paramref name="i"/> and leaves <paramref name="i"/> past its close.</summary>
    private static string ReadQuoted(string line, ref int i)
    {
        var text = new StringBuilder();
        i++;
        while (i < line.Length)
        {
            char c = line[i++];
            if (c == '"')
            {
                return text.ToString();
            }
            if (c != '\\')
            {
                text.Append(c);
                continue;
            }
            if (i >= line.Length)
            {
                break;
            }
            char escape = line[i++];
            switch (escape)
            {
                case '\\': text.Append('\\'); break;
                case '"': text.Append('"'); break;
                case 'n': text.Append('\n'); break;
                case 'r': text.Append('\r'); break;
                case 't': text.Append('\t'); break;
                case 'u':
                    if (i + 4 > line.Length || !int.TryParse(line.AsSpan(i, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int code))
                    {
                        throw new FormatException("\\u needs four hex digits");
                    }
                    text.Append((char)code);
                    i += 4;
                    break;
                default:
                    throw new FormatException($"unknown escape \\{escape}");
            }
        }
        throw new FormatException("unterminated string");
    }
}
