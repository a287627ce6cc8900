namespace Tusk.Sql.Parser;

/// <summary>
/// Syntax that catalog queries of clients (psql's \d family, Npgsql, EF Core) need: <c>OPERATOR(pg_catalog.~)</c>,
/// <c>x op ANY (array)</c> and <c>a[i]</c>. Tusk has no array type: arrays travel as their text form ('{a,b}'), so
/// the last two parse into calls of internal functions (<see cref="QuantifiedArrayFunction"/>,
/// <see cref="SubscriptFunction"/>) that the virtual catalog binds.
/// </summary>
public sealed partial class SqlParser
{
    /// <summary>pg_catalog.__quantified(op, quantifier, operand, array): <c>x op ANY|ALL (array expression)</c>.</summary>
    public const string QuantifiedArrayFunction = "__quantified";

    /// <summary>pg_catalog.__subscript(array, index): <c>a[i]</c>.</summary>
    public const string SubscriptFunction = "__subscript";

    /// <summary>After <c>op ANY (</c> when no subquery follows: the array expression and the closing parenthesis.</summary>
    private FuncCall QuantifiedArrayRest(Expr left, string op, string quantifier, int position)
    {
        var array = Expression();
        Expect(TokenKind.Punctuation, ")");
        Expr[] args = [new Literal(LiteralKind.String, op) { Position = position }, new Literal(LiteralKind.String, quantifier) { Position = position }, left, array];
        return new FuncCall(["pg_catalog", QuantifiedArrayFunction], args, false, false, [], null) { Position = position };
    }

    /// <summary><c>OPERATOR(schema.op)</c>: the operator's name (the schema is ignored: every operator is built in).</summary>
    private string OperatorNameRest()
    {
        Next();
        Expect(TokenKind.Punctuation, "(");
        if (Peek.Kind is TokenKind.Identifier or TokenKind.Keyword)
        {
            AnyName();
            Expect(TokenKind.Punctuation, ".");
        }
        if (Peek.Kind != TokenKind.Operator) throw Unexpected();
        var op = Next().Text;
        Expect(TokenKind.Punctuation, ")");
        return op;
    }

    /// <summary><c>LOCK [TABLE] [ONLY] name [*] [, ...] [IN lockmode MODE] [NOWAIT]</c> (after LOCK).</summary>
    private LockStmt Lock(int position)
    {
        AcceptKeyword("table");
        var tables = new List<string[]>();
        do
        {
            AcceptKeyword("only");
            tables.Add(QualifiedName());
            Accept(TokenKind.Operator, "*");
        }
        while (Accept(TokenKind.Punctuation, ","));
        var mode = "access exclusive";
        if (AcceptKeyword("in"))
        {
            var words = new List<string>();
            while (!AcceptWord("mode")) words.Add(AnyName());
            if (words.Count == 0) throw Unexpected();
            mode = string.Join(" ", words);
        }
        var noWait = AcceptWord("nowait");
        return new LockStmt([.. tables], mode, noWait) { Position = position };
    }

    /// <summary>
    /// <c>VACUUM [(option [value], ...)] [FULL] [FREEZE] [VERBOSE] [ANALYZE] [table [(column, ...)], ...]</c> and
    /// <c>ANALYZE [(option, ...)] [VERBOSE] [table [(column, ...)], ...]</c> (after the first word).
    /// </summary>
    private MaintenanceStmt Maintenance(int position, bool vacuum)
    {
        var options = new List<string>();
        if (Accept(TokenKind.Punctuation, "("))
        {
            do
            {
                var option = AnyName().ToLowerInvariant();
                // An option's value: a boolean, a number or a word (PROCESS_TOAST false, PARALLEL 2, INDEX_CLEANUP auto).
                var value = Peek.Kind is TokenKind.Punctuation ? "on" : Next().Text.ToLowerInvariant();
                if (value is "on" or "true" or "1" or "auto" || !(value is "off" or "false" or "0")) options.Add(option);
            }
            while (Accept(TokenKind.Punctuation, ","));
            Expect(TokenKind.Punctuation, ")");
        }
        while (true)
        {
            if (vacuum && (AcceptKeyword("full") || AcceptKeyword("freeze"))) continue;
            if (AcceptKeyword("verbose")) { options.Add("verbose"); continue; }
            if (vacuum && (AcceptKeyword("analyze") || AcceptKeyword("analyse"))) { options.Add("analyze"); continue; }
            break;
        }
        var tables = new List<string[]>();
        if (Peek.Kind is TokenKind.Identifier or TokenKind.Keyword && !Peek.Is(TokenKind.Keyword, "end"))
        {
            do
            {
                tables.Add(QualifiedName());
                if (Accept(TokenKind.Punctuation, "(")) NameListRest();   // the columns to analyze: statistics are not kept
            }
            while (Accept(TokenKind.Punctuation, ","));
        }
        return new MaintenanceStmt(vacuum, [.. tables], options.Contains("verbose"), options.Contains("analyze") || !vacuum) { Position = position };
    }

    /// <summary><c>[index]</c> after an expression.</summary>
    private FuncCall SubscriptRest(Expr left, int position)
    {
        Expect(TokenKind.Punctuation, "[");
        var index = Expression();
        Expect(TokenKind.Punctuation, "]");
        return new FuncCall(["pg_catalog", SubscriptFunction], [left, index], false, false, [], null) { Position = position };
    }
}

/// <summary><c>VACUUM</c> (<paramref name="Vacuum"/>) or <c>ANALYZE</c>, on the named tables or all of them (none named).</summary>
public sealed record MaintenanceStmt(bool Vacuum, string[][] Tables, bool Verbose, bool Analyze) : Statement;

/// <summary><c>LOCK TABLE</c>: EF Core takes ACCESS EXCLUSIVE on its migrations history table before migrating.</summary>
public sealed record LockStmt(string[][] Tables, string Mode, bool NoWait) : Statement;
