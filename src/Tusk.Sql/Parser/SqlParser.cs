namespace Tusk.Sql.Parser;

/// <summary>
/// A recursive-descent parser for PostgreSQL's SQL dialect (queries for now; DML and DDL follow), with operator
/// precedence as in PostgreSQL's documentation (4.1.6). Errors are <see cref="SqlSyntaxException"/> with the
/// 1-based position of the offending token, worded as PostgreSQL words them ("syntax error at or near ...").
/// </summary>
public sealed partial class SqlParser
{
    private readonly List<Token> _tokens;
    private int _at;

    private SqlParser(string sql) => _tokens = Lexer.Tokenize(sql);

    /// <summary>Parses one or more statements separated by semicolons (empty statements are skipped).</summary>
    public static List<Statement> Parse(string sql)
    {
        var p = new SqlParser(sql);
        var statements = new List<Statement>();
        while (true)
        {
            while (p.Accept(TokenKind.Punctuation, ";")) { }
            if (p.Peek.Kind == TokenKind.End) return statements;
            statements.Add(p.ParseStatement());
            if (p.Peek.Kind != TokenKind.End && !p.Peek.Is(TokenKind.Punctuation, ";")) throw p.Unexpected();
        }
    }

    /// <summary>Parses a single expression (for tests and defaults).</summary>
    public static Expr ParseExpression(string sql)
    {
        var p = new SqlParser(sql);
        var e = p.Expression();
        if (p.Peek.Kind != TokenKind.End) throw p.Unexpected();
        return e;
    }

    private Token Peek => _tokens[_at];

    private Token PeekAt(int offset) => _tokens[Math.Min(_at + offset, _tokens.Count - 1)];

    private Token Next() => _tokens[_at < _tokens.Count - 1 ? _at++ : _at];

    private bool Accept(TokenKind kind, string text)
    {
        if (!Peek.Is(kind, text)) return false;
        _at++;
        return true;
    }

    private bool AcceptKeyword(string keyword) => Accept(TokenKind.Keyword, keyword) || AcceptWord(keyword);

    // Non-reserved words (first, last, nulls, rows, ...) may lex as identifiers in some positions.
    private bool AcceptWord(string word)
    {
        if (Peek.Kind == TokenKind.Identifier && !Peek.Quoted && Peek.Text == word)
        {
            _at++;
            return true;
        }
        return false;
    }

    private void Expect(TokenKind kind, string text)
    {
        if (!Accept(kind, text)) throw Unexpected();
    }

    private void ExpectKeyword(string keyword)
    {
        if (!AcceptKeyword(keyword)) throw Unexpected();
    }

    private SqlSyntaxException Unexpected()
    {
        var t = Peek;
        return t.Kind == TokenKind.End
            ? new SqlSyntaxException("syntax error at end of input", t.Position + 1)
            : new SqlSyntaxException($"syntax error at or near \"{t.Kind switch { TokenKind.String => "'" + t.Text + "'", TokenKind.Parameter => "$" + t.Text, _ => t.Text }}\"", t.Position + 1);
    }

    private Statement ParseStatement()
    {
        var position = Peek.Position;
        if (Peek.IsKeyword("with"))
        {
            // WITH ... may lead a query or a data-modifying statement.
            var save = _at;
            var with = WithPrefix();
            if (Peek.IsKeyword("insert") || Peek.IsKeyword("update") || Peek.IsKeyword("delete")) return DataModification(with, position);
            _at = save;
            return Select();
        }
        if (Peek.IsKeyword("select") || Peek.IsKeyword("values") || Peek.IsKeyword("table") || Peek.Is(TokenKind.Punctuation, "("))
            return Select();
        if (Peek.IsKeyword("insert") || Peek.IsKeyword("update") || Peek.IsKeyword("delete")) return DataModification(null, position);
        return Utility(position);
    }

    // ---- queries ----

    private SelectStmt Select()
    {
        var position = Peek.Position;
        var with = Peek.IsKeyword("with") ? WithPrefix() : null;
        var body = SetOperations();
        var orderBy = AcceptKeyword("order") ? OrderByRest() : [];
        Expr? limit = null, offset = null;
        var locking = new List<LockingClause>();
        for (var i = 0; i < 3; i++)
        {
            while (AcceptKeyword("for")) locking.Add(LockingRest());
            if (limit is null && AcceptKeyword("limit"))
            {
                limit = AcceptKeyword("all") ? null : Expression();
            }
            else if (offset is null && AcceptKeyword("offset"))
            {
                offset = Expression();
                if (!AcceptKeyword("rows")) AcceptWord("row");
            }
            else if (limit is null && AcceptKeyword("fetch"))
            {
                // FETCH { FIRST | NEXT } [ n ] { ROW | ROWS } ONLY
                if (!AcceptKeyword("first")) AcceptWord("next");
                limit = Peek.Kind is TokenKind.Integer or TokenKind.Parameter || Peek.Is(TokenKind.Punctuation, "(") ? Primary() : new Literal(LiteralKind.Integer, "1");
                if (!AcceptKeyword("rows")) AcceptWord("row");
                ExpectKeyword("only");
            }
        }
        while (AcceptKeyword("for")) locking.Add(LockingRest());
        return new SelectStmt(with, body, orderBy, limit, offset) { Position = position, Locking = [.. locking] };
    }

    /// <summary>A locking clause after FOR.</summary>
    private LockingClause LockingRest()
    {
        string strength;
        if (AcceptKeyword("update")) strength = "update";
        else if (AcceptKeyword("share")) strength = "share";
        else if (AcceptKeyword("no")) { ExpectWord("key"); ExpectKeyword("update"); strength = "no key update"; }
        else { ExpectWord("key"); ExpectWord("share"); strength = "key share"; }
        var tables = new List<string>();
        if (AcceptKeyword("of"))
        {
            do tables.Add(QualifiedName()[^1]);
            while (Accept(TokenKind.Punctuation, ","));
        }
        var wait = "wait";
        if (AcceptWord("nowait")) wait = "nowait";
        else if (AcceptWord("skip")) { ExpectWord("locked"); wait = "skip locked"; }
        return new LockingClause(strength, [.. tables], wait);
    }

    private WithClause WithPrefix()
    {
        ExpectKeyword("with");
        var recursive = AcceptKeyword("recursive");
        var ctes = new List<CommonTableExpr>();
        do
        {
            var name = Name();
            var columns = Accept(TokenKind.Punctuation, "(") ? NameListRest() : [];
            ExpectKeyword("as");
            Expect(TokenKind.Punctuation, "(");
            var q = Select();
            Expect(TokenKind.Punctuation, ")");
            ctes.Add(new CommonTableExpr(name, columns, q));
        }
        while (Accept(TokenKind.Punctuation, ","));
        return new WithClause(recursive, [.. ctes]);
    }

    private QueryBody SetOperations()
    {
        var left = IntersectOperations();
        while (Peek.IsKeyword("union") || Peek.IsKeyword("except"))
        {
            var op = Next().Text;
            var all = AcceptKeyword("all");
            if (!all) AcceptKeyword("distinct");
            left = new SetOperation(op, all, left, IntersectOperations());
        }
        return left;
    }

    private QueryBody IntersectOperations()
    {
        var left = QueryPrimary();
        while (AcceptKeyword("intersect"))
        {
            var all = AcceptKeyword("all");
            if (!all) AcceptKeyword("distinct");
            left = new SetOperation("intersect", all, left, QueryPrimary());
        }
        return left;
    }

    private QueryBody QueryPrimary()
    {
        if (Accept(TokenKind.Punctuation, "("))
        {
            var q = Select();
            Expect(TokenKind.Punctuation, ")");
            return q.With is null && q.OrderBy.Length == 0 && q.Limit is null && q.Offset is null ? q.Body : new NestedQuery(q);
        }
        if (AcceptKeyword("values"))
        {
            var rows = new List<Expr[]>();
            do
            {
                Expect(TokenKind.Punctuation, "(");
                rows.Add([.. ExpressionListRest()]);
            }
            while (Accept(TokenKind.Punctuation, ","));
            return new ValuesBody([.. rows]);
        }
        if (AcceptKeyword("table"))
        {
            return new SelectCore(false, null, [new Target(new Star(null), null)], [new TableRef(QualifiedName(), null, [])], null, [], null);
        }
        ExpectKeyword("select");
        var distinct = false;
        Expr[]? distinctOn = null;
        if (AcceptKeyword("distinct"))
        {
            distinct = true;
            if (AcceptKeyword("on"))
            {
                Expect(TokenKind.Punctuation, "(");
                distinctOn = [.. ExpressionListRest()];
            }
        }
        else
        {
            AcceptKeyword("all");
        }
        var targets = new List<Target>();
        if (!IsClauseEnd())
        {
            do targets.Add(TargetItem());
            while (Accept(TokenKind.Punctuation, ","));
        }
        var from = new List<FromItem>();
        if (AcceptKeyword("from"))
        {
            do from.Add(FromItemWithJoins());
            while (Accept(TokenKind.Punctuation, ","));
        }
        var where = AcceptKeyword("where") ? Expression() : null;
        var groupBy = new List<Expr>();
        if (AcceptKeyword("group"))
        {
            ExpectKeyword("by");
            do groupBy.Add(Expression());
            while (Accept(TokenKind.Punctuation, ","));
        }
        var having = AcceptKeyword("having") ? Expression() : null;
        var windows = new List<(string, WindowSpec)>();
        if (AcceptKeyword("window"))
        {
            do
            {
                var windowName = AnyName();
                ExpectKeyword("as");
                Expect(TokenKind.Punctuation, "(");
                windows.Add((windowName, WindowSpecRest()));
            }
            while (Accept(TokenKind.Punctuation, ","));
        }
        return new SelectCore(distinct, distinctOn, [.. targets], [.. from], where, [.. groupBy], having) { Windows = [.. windows] };
    }

    private bool IsClauseEnd() => Peek.Kind == TokenKind.End || Peek.Is(TokenKind.Punctuation, ";") || Peek.Is(TokenKind.Punctuation, ")")
        || Peek.IsKeyword("from") || Peek.IsKeyword("where") || Peek.IsKeyword("union") || Peek.IsKeyword("except") || Peek.IsKeyword("intersect")
        || Peek.IsKeyword("order") || Peek.IsKeyword("limit") || Peek.IsKeyword("offset") || Peek.IsKeyword("window");

    private Target TargetItem()
    {
        var e = Expression();
        if (AcceptKeyword("as")) return new Target(e, AnyName());
        if (Peek.Kind == TokenKind.Identifier) return new Target(e, Next().Text);
        return new Target(e, null);
    }

    private OrderItem[] OrderByRest()
    {
        ExpectKeyword("by");
        var items = new List<OrderItem>();
        do
        {
            var e = Expression();
            var desc = false;
            if (AcceptKeyword("desc")) desc = true;
            else AcceptKeyword("asc");
            bool? nullsFirst = null;
            if (AcceptKeyword("nulls"))
            {
                if (AcceptKeyword("first")) nullsFirst = true;
                else { ExpectKeyword("last"); nullsFirst = false; }
            }
            items.Add(new OrderItem(e, desc, nullsFirst));
        }
        while (Accept(TokenKind.Punctuation, ","));
        return [.. items];
    }

    private FromItem FromItemWithJoins()
    {
        var left = FromPrimary();
        while (true)
        {
            var natural = AcceptKeyword("natural");
            JoinKind kind;
            if (AcceptKeyword("cross")) kind = JoinKind.Cross;
            else if (AcceptKeyword("inner")) kind = JoinKind.Inner;
            else if (AcceptKeyword("left")) { AcceptKeyword("outer"); kind = JoinKind.Left; }
            else if (AcceptKeyword("right")) { AcceptKeyword("outer"); kind = JoinKind.Right; }
            else if (AcceptKeyword("full")) { AcceptKeyword("outer"); kind = JoinKind.Full; }
            else if (Peek.IsKeyword("join")) kind = JoinKind.Inner;
            else
            {
                if (natural) throw Unexpected();
                return left;
            }
            ExpectKeyword("join");
            var right = FromPrimary();
            Expr? on = null;
            string[] usingColumns = [];
            if (kind != JoinKind.Cross && !natural)
            {
                if (AcceptKeyword("on")) on = Expression();
                else if (AcceptKeyword("using"))
                {
                    Expect(TokenKind.Punctuation, "(");
                    usingColumns = NameListRest();
                }
                else throw Unexpected();
            }
            left = new Join(kind, left, right, on, usingColumns, natural);
        }
    }

    private FromItem FromPrimary()
    {
        if (Accept(TokenKind.Punctuation, "("))
        {
            if (Peek.IsKeyword("select") || Peek.IsKeyword("with") || Peek.IsKeyword("values"))
            {
                var q = Select();
                Expect(TokenKind.Punctuation, ")");
                var (alias, columns) = Alias();
                return new SubqueryRef(q, alias, columns, Lateral: false);
            }
            var inner = FromItemWithJoins();
            Expect(TokenKind.Punctuation, ")");
            return inner;
        }
        if (AcceptKeyword("lateral"))
        {
            if (!Accept(TokenKind.Punctuation, "("))
            {
                var functionName = QualifiedName();
                Expect(TokenKind.Punctuation, "(");
                var lateralCall = FunctionRest(functionName, Peek.Position);
                var (la, lc) = Alias();
                return new FunctionRef(lateralCall, la, lc) { Lateral = true };
            }
            var q = Select();
            Expect(TokenKind.Punctuation, ")");
            var (alias, columns) = Alias();
            return new SubqueryRef(q, alias, columns, Lateral: true);
        }
        var namePosition = Peek.Position;
        var name = QualifiedName();
        if (Accept(TokenKind.Punctuation, "("))
        {
            var call = FunctionRest(name, Peek.Position);
            var (fa, fc) = Alias();
            return new FunctionRef(call, fa, fc);
        }
        var (a, c) = Alias();
        return new TableRef(name, a, c) { Position = namePosition };
    }

    private (string? Alias, string[] Columns) Alias()
    {
        string? alias = null;
        if (AcceptKeyword("as")) alias = AnyName();
        else if (Peek.Kind == TokenKind.Identifier) alias = Next().Text;
        if (alias is null) return (null, []);
        return (alias, Accept(TokenKind.Punctuation, "(") ? NameListRest() : []);
    }

    // ---- expressions (binding powers follow PostgreSQL's precedence table) ----
    // An infix operator of power p applies while the caller's minimum is below p; its right operand is parsed with
    // minimum p, so operators of the same power associate to the left and stronger ones bind inside.

    private Expr Expression() => Expr(0);

    private Expr Expr(int minPower)
    {
        var left = Prefix();
        while (true)
        {
            var t = Peek;
            var position = t.Position;
            if (t.IsKeyword("or") && minPower < 1) { Next(); left = new Binary("or", left, Expr(1)) { Position = position }; continue; }
            if (t.IsKeyword("and") && minPower < 2) { Next(); left = new Binary("and", left, Expr(2)) { Position = position }; continue; }
            if ((t.IsKeyword("is") || t.IsKeyword("isnull") || t.IsKeyword("notnull")) && minPower < 4)
            {
                left = IsRest(left);
                continue;
            }
            if (t.Kind == TokenKind.Operator && t.Text is "<" or ">" or "=" or "<=" or ">=" or "<>" or "!=" && minPower < 5)
            {
                Next();
                var op = t.Text == "!=" ? "<>" : t.Text;
                if (Peek.IsKeyword("any") || Peek.IsKeyword("some") || Peek.IsKeyword("all"))
                {
                    var quantifier = Next().Text == "all" ? "all" : "any";
                    Expect(TokenKind.Punctuation, "(");
                    if (!(Peek.IsKeyword("select") || Peek.IsKeyword("with") || Peek.IsKeyword("values")))
                    {
                        left = QuantifiedArrayRest(left, op, quantifier, position);
                        continue;
                    }
                    var q = Select();
                    Expect(TokenKind.Punctuation, ")");
                    left = new Quantified(left, op, quantifier, q) { Position = position };
                    continue;
                }
                left = new Binary(op, left, Expr(5)) { Position = position };
                continue;
            }
            var not = t.IsKeyword("not") && (PeekAt(1).IsKeyword("between") || PeekAt(1).IsKeyword("in") || PeekAt(1).IsKeyword("like") || PeekAt(1).IsKeyword("ilike"));
            var next = not ? PeekAt(1) : t;
            if ((next.IsKeyword("between") || next.IsKeyword("in") || next.IsKeyword("like") || next.IsKeyword("ilike")) && minPower < 6)
            {
                if (not) Next();
                left = PredicateRest(left, not, position);
                continue;
            }
            if (t.Kind == TokenKind.Identifier && t.Text == "operator" && !t.Quoted && PeekAt(1).Is(TokenKind.Punctuation, "(") && minPower < 7)
            {
                var op = OperatorNameRest();
                left = new Binary(op, left, Expr(7)) { Position = position };
                continue;
            }
            if (t.Is(TokenKind.Punctuation, "[") && minPower < 12)
            {
                left = SubscriptRest(left, position);
                continue;
            }
            if (t.Kind == TokenKind.Operator && t.Text is not ("+" or "-" or "*" or "/" or "%" or "^" or "::") && minPower < 7)
            {
                Next();
                left = new Binary(t.Text, left, Expr(7)) { Position = position };
                continue;
            }
            if (t.Kind == TokenKind.Operator && t.Text is "+" or "-" && minPower < 8) { Next(); left = new Binary(t.Text, left, Expr(8)) { Position = position }; continue; }
            if (t.Kind == TokenKind.Operator && t.Text is "*" or "/" or "%" && minPower < 9) { Next(); left = new Binary(t.Text, left, Expr(9)) { Position = position }; continue; }
            if (t.Kind == TokenKind.Operator && t.Text == "^" && minPower < 10) { Next(); left = new Binary("^", left, Expr(10)) { Position = position }; continue; }
            if (t.Is(TokenKind.Operator, "::")) { Next(); left = new Cast(left, Type()) { Position = position }; continue; }
            if (t.IsKeyword("collate")) { Next(); AnyName(); if (Accept(TokenKind.Punctuation, ".")) AnyName(); continue; }  // collations are accepted and ignored (C collation)
            return left;
        }
    }

    private Expr IsRest(Expr left)
    {
        var position = Peek.Position;
        if (AcceptKeyword("isnull")) return new IsTest(left, "null", false) { Position = position };
        if (AcceptKeyword("notnull")) return new IsTest(left, "null", true) { Position = position };
        ExpectKeyword("is");
        var not = AcceptKeyword("not");
        if (AcceptKeyword("null")) return new IsTest(left, "null", not) { Position = position };
        if (AcceptKeyword("true")) return new IsTest(left, "true", not) { Position = position };
        if (AcceptKeyword("false")) return new IsTest(left, "false", not) { Position = position };
        if (AcceptWord("unknown")) return new IsTest(left, "unknown", not) { Position = position };
        if (AcceptKeyword("distinct"))
        {
            ExpectKeyword("from");
            return new IsDistinctFrom(left, Expr(5), not) { Position = position };
        }
        throw Unexpected();
    }

    private Expr PredicateRest(Expr left, bool not, int position)
    {
        if (AcceptKeyword("between"))
        {
            var symmetric = AcceptKeyword("symmetric");
            var low = Expr(7);
            ExpectKeyword("and");
            var high = Expr(7);
            return new Between(left, low, high, not, symmetric) { Position = position };
        }
        if (AcceptKeyword("in"))
        {
            Expect(TokenKind.Punctuation, "(");
            if (Peek.IsKeyword("select") || Peek.IsKeyword("with") || Peek.IsKeyword("values"))
            {
                var q = Select();
                Expect(TokenKind.Punctuation, ")");
                return new InSubquery(left, q, not) { Position = position };
            }
            return new InList(left, [.. ExpressionListRest()], not) { Position = position };
        }
        var insensitive = AcceptKeyword("ilike");
        if (!insensitive) ExpectKeyword("like");
        var pattern = Expr(7);
        var escape = AcceptWord("escape") ? Expr(7) : null;
        return new Like(left, pattern, escape, insensitive, not) { Position = position };
    }

    private Expr Prefix()
    {
        var t = Peek;
        var position = t.Position;
        if (t.IsKeyword("not")) { Next(); return new Unary("not", Expr(3)) { Position = position }; }
        if (t.Kind == TokenKind.Operator && t.Text is "-" or "+")
        {
            Next();
            var operand = Expr(11);
            // Fold a sign into a numeric constant, so -9223372036854775808 is one literal.
            if (t.Text == "-" && operand is Literal { Kind: LiteralKind.Integer or LiteralKind.Numeric } lit && !lit.Text.StartsWith('-'))
                return lit with { Text = "-" + lit.Text, Position = position };
            return t.Text == "+" ? operand : new Unary("-", operand) { Position = position };
        }
        if (t.Kind == TokenKind.Operator && t.Text is "~" or "@" or "|/" or "||/")
        {
            Next();
            return new Unary(t.Text, Expr(11)) { Position = position };
        }
        return Primary();
    }

    private Expr Primary()
    {
        var t = Peek;
        var position = t.Position;
        switch (t.Kind)
        {
            case TokenKind.Integer:
                Next();
                return new Literal(LiteralKind.Integer, t.Text) { Position = position };
            case TokenKind.Numeric:
                Next();
                return new Literal(LiteralKind.Numeric, t.Text) { Position = position };
            case TokenKind.String:
                Next();
                return new Literal(LiteralKind.String, t.Text) { Position = position };
            case TokenKind.Parameter:
                Next();
                return new ParamRef(int.Parse(t.Text, System.Globalization.CultureInfo.InvariantCulture)) { Position = position };
            case TokenKind.Operator when t.Text == "*":
                Next();
                return new Star(null) { Position = position };
            case TokenKind.Punctuation when t.Text == "(":
            {
                Next();
                if (Peek.IsKeyword("select") || Peek.IsKeyword("with") || Peek.IsKeyword("values"))
                {
                    var q = Select();
                    Expect(TokenKind.Punctuation, ")");
                    return new Subquery(q) { Position = position };
                }
                var e = Expression();
                Expect(TokenKind.Punctuation, ")");
                return e;
            }
            case TokenKind.Keyword:
                return KeywordPrimary(t, position);
            case TokenKind.Identifier:
                return NamePrimary(position);
        }
        throw Unexpected();
    }

    private Expr KeywordPrimary(Token t, int position)
    {
        switch (t.Text)
        {
            case "null": Next(); return new Literal(LiteralKind.Null, "null") { Position = position };
            case "default": Next(); return new DefaultValue { Position = position };
            case "true": Next(); return new Literal(LiteralKind.Boolean, "true") { Position = position };
            case "false": Next(); return new Literal(LiteralKind.Boolean, "false") { Position = position };
            case "exists":
            {
                Next();
                Expect(TokenKind.Punctuation, "(");
                var q = Select();
                Expect(TokenKind.Punctuation, ")");
                return new Exists(q) { Position = position };
            }
            case "case": return CaseRest(position);
            case "cast":
            {
                Next();
                Expect(TokenKind.Punctuation, "(");
                var e = Expression();
                ExpectKeyword("as");
                var type = Type();
                Expect(TokenKind.Punctuation, ")");
                return new Cast(e, type) { Position = position };
            }
            case "current_date" or "current_time" or "current_timestamp" or "localtime" or "localtimestamp" or "user":
                Next();
                return new FuncCall([t.Text], [], false, false, [], null) { Position = position };
            case "interval":
            {
                Next();
                if (Peek.Kind != TokenKind.String) throw Unexpected();
                return new Cast(new Literal(LiteralKind.String, Next().Text) { Position = Peek.Position }, new TypeName("interval", [], false)) { Position = position };
            }
            case "left" or "right" when PeekAt(1).Is(TokenKind.Punctuation, "("):
                Next();
                Next();
                return FunctionRest([t.Text], position);
        }
        if (!Lexer.Reserved.Contains(t.Text)) return NamePrimary(position);
        throw Unexpected();
    }

    private Expr CaseRest(int position)
    {
        ExpectKeyword("case");
        Expr? operand = Peek.IsKeyword("when") ? null : Expression();
        var whens = new List<(Expr, Expr)>();
        while (AcceptKeyword("when"))
        {
            var when = Expression();
            ExpectKeyword("then");
            whens.Add((when, Expression()));
        }
        if (whens.Count == 0) throw Unexpected();
        var otherwise = AcceptKeyword("else") ? Expression() : null;
        ExpectKeyword("end");
        return new Case(operand, [.. whens], otherwise) { Position = position };
    }

    private Expr NamePrimary(int position)
    {
        // A typed literal: date '2024-01-01', timestamp with time zone '...', double precision '1.5', int4 '5'.
        if (Peek.Kind is TokenKind.Identifier or TokenKind.Keyword && !Peek.Quoted
            && (PeekAt(1).Kind == TokenKind.String || Peek.Text is "timestamp" or "time" or "double" or "character" or "char"))
        {
            var save = _at;
            try
            {
                var type = Type();
                if (Peek.Kind == TokenKind.String)
                {
                    var literal = Next();
                    return new Cast(new Literal(LiteralKind.String, literal.Text) { Position = literal.Position }, type) { Position = position };
                }
            }
            catch (SqlSyntaxException)
            {
                // Not a type name after all: parse it as a column or function below.
            }
            _at = save;
        }
        var parts = new List<string> { AnyName() };
        while (Accept(TokenKind.Punctuation, "."))
        {
            if (Accept(TokenKind.Operator, "*")) return new Star(string.Join(".", parts)) { Position = position };
            parts.Add(AnyName());
        }
        if (Accept(TokenKind.Punctuation, "(")) return FunctionRest([.. parts], position);
        return new ColumnRef([.. parts]) { Position = position };
    }

    private FuncCall FunctionRest(string[] name, int position)
    {
        if (Accept(TokenKind.Operator, "*"))
        {
            Expect(TokenKind.Punctuation, ")");
            return new FuncCall(name, [], false, true, [], FilterClause()) { Position = position, Over = OverClause() };
        }
        var distinct = AcceptKeyword("distinct");
        if (!distinct) AcceptKeyword("all");
        var args = new List<Expr>();
        OrderItem[] orderBy = [];
        if (name is ["array"] && (Peek.IsKeyword("select") || Peek.IsKeyword("with") || Peek.IsKeyword("values")))
        {
            // ARRAY(subquery): the binder turns the lone scalar subquery into an array of its rows.
            args.Add(new Subquery(Select()) { Position = Peek.Position });
            Expect(TokenKind.Punctuation, ")");
            return new FuncCall(name, [.. args], false, false, [], null) { Position = position };
        }
        if (!Accept(TokenKind.Punctuation, ")"))
        {
            do args.Add(Expression());
            while (Accept(TokenKind.Punctuation, ","));
            if (AcceptKeyword("order")) orderBy = OrderByRest();
            Expect(TokenKind.Punctuation, ")");
        }
        return new FuncCall(name, [.. args], distinct, false, orderBy, FilterClause()) { Position = position, Over = OverClause() };
    }

    /// <summary><c>OVER name</c> or <c>OVER (window)</c> after a function call; null when absent.</summary>
    private WindowSpec? OverClause()
    {
        if (!(Peek.Kind == TokenKind.Identifier && !Peek.Quoted && Peek.Text == "over"
            && (PeekAt(1).Is(TokenKind.Punctuation, "(") || PeekAt(1).Kind == TokenKind.Identifier)))
        {
            return null;
        }
        Next();
        if (Accept(TokenKind.Punctuation, "(")) return WindowSpecRest();
        return new WindowSpec(AnyName(), [], [], null, Bare: true);
    }

    /// <summary>A window definition after its "(": <c>[existing] [PARTITION BY ...] [ORDER BY ...] [frame] )</c>.</summary>
    private WindowSpec WindowSpecRest()
    {
        string? refName = null;
        if (Peek.Kind == TokenKind.Identifier && (Peek.Quoted || Peek.Text is not ("partition" or "range" or "groups")))
        {
            refName = Next().Text;
        }
        Expr[] partitionBy = [];
        if (AcceptWord("partition"))
        {
            ExpectKeyword("by");
            var items = new List<Expr>();
            do items.Add(Expression());
            while (Accept(TokenKind.Punctuation, ","));
            partitionBy = [.. items];
        }
        var orderBy = AcceptKeyword("order") ? OrderByRest() : [];
        WindowFrame? frame = null;
        var mode = AcceptKeyword("rows") ? "rows" : AcceptWord("range") ? "range" : AcceptWord("groups") ? "groups" : null;
        if (mode is not null)
        {
            FrameBound start, end;
            if (AcceptKeyword("between"))
            {
                start = FrameBoundItem();
                ExpectKeyword("and");
                end = FrameBoundItem();
            }
            else
            {
                start = FrameBoundItem();
                end = new FrameBound(FrameBoundKind.CurrentRow, null);
            }
            string? exclude = null;
            if (AcceptWord("exclude"))
            {
                if (AcceptWord("current")) { ExpectWord("row"); exclude = "current row"; }
                else if (AcceptKeyword("group")) exclude = "group";
                else if (AcceptWord("ties")) exclude = "ties";
                else { ExpectKeyword("no"); ExpectWord("others"); }
            }
            frame = new WindowFrame(mode, start, end, exclude);
        }
        Expect(TokenKind.Punctuation, ")");
        return new WindowSpec(refName, partitionBy, orderBy, frame);
    }

    private FrameBound FrameBoundItem()
    {
        if (AcceptWord("unbounded"))
        {
            if (AcceptWord("preceding")) return new FrameBound(FrameBoundKind.UnboundedPreceding, null);
            ExpectWord("following");
            return new FrameBound(FrameBoundKind.UnboundedFollowing, null);
        }
        if (AcceptWord("current"))
        {
            ExpectWord("row");
            return new FrameBound(FrameBoundKind.CurrentRow, null);
        }
        var offset = Expression();
        if (AcceptWord("preceding")) return new FrameBound(FrameBoundKind.Preceding, offset);
        ExpectWord("following");
        return new FrameBound(FrameBoundKind.Following, offset);
    }

    private Expr? FilterClause()
    {
        if (!(Peek.Kind == TokenKind.Identifier && Peek.Text == "filter" && PeekAt(1).Is(TokenKind.Punctuation, "("))) return null;
        Next();
        Next();
        ExpectKeyword("where");
        var e = Expression();
        Expect(TokenKind.Punctuation, ")");
        return e;
    }

    private TypeName Type()
    {
        var quoted = Peek.Quoted;
        var name = AnyName();
        if (name == "pg_catalog" && Accept(TokenKind.Punctuation, "."))
        {
            quoted = Peek.Quoted;
            name = AnyName();
        }
        if (quoted && name == "char") name = "\"char\"";  // the one-byte internal type, not character(1)
        // Multi-word type names.
        if (name == "double" && AcceptWord("precision")) name = "double precision";
        else if (name is "character" or "char" && AcceptWord("varying")) name = "varchar";
        else if (name is "timestamp" or "time")
        {
            var modifiers0 = Accept(TokenKind.Punctuation, "(") ? IntegerListRest() : [];
            if (AcceptKeyword("with")) { ExpectWord("time"); ExpectWord("zone"); name += "tz"; }
            else if (AcceptWord("without")) { ExpectWord("time"); ExpectWord("zone"); }
            return new TypeName(name, modifiers0, ArraySuffix());
        }
        var modifiers = Accept(TokenKind.Punctuation, "(") ? IntegerListRest() : [];
        return new TypeName(name, modifiers, ArraySuffix());
    }

    private void ExpectWord(string word)
    {
        if (!AcceptWord(word) && !AcceptKeyword(word)) throw Unexpected();
    }

    private bool ArraySuffix()
    {
        if (!Accept(TokenKind.Punctuation, "[")) return false;
        Expect(TokenKind.Punctuation, "]");
        return true;
    }

    private int[] IntegerListRest()
    {
        var values = new List<int>();
        do
        {
            if (Peek.Kind != TokenKind.Integer) throw Unexpected();
            values.Add(int.Parse(Next().Text, System.Globalization.CultureInfo.InvariantCulture));
        }
        while (Accept(TokenKind.Punctuation, ","));
        Expect(TokenKind.Punctuation, ")");
        return [.. values];
    }

    private List<Expr> ExpressionListRest()
    {
        var items = new List<Expr>();
        do items.Add(Expression());
        while (Accept(TokenKind.Punctuation, ","));
        Expect(TokenKind.Punctuation, ")");
        return items;
    }

    private string[] NameListRest()
    {
        var names = new List<string>();
        do names.Add(AnyName());
        while (Accept(TokenKind.Punctuation, ","));
        Expect(TokenKind.Punctuation, ")");
        return [.. names];
    }

    private string[] QualifiedName()
    {
        var parts = new List<string> { Name() };
        while (Accept(TokenKind.Punctuation, ".")) parts.Add(AnyName());
        return [.. parts];
    }

    /// <summary>An identifier, or a non-reserved keyword used as one.</summary>
    private string Name()
    {
        var t = Peek;
        if (t.Kind == TokenKind.Identifier || (t.Kind == TokenKind.Keyword && !Lexer.Reserved.Contains(t.Text)))
        {
            Next();
            return t.Text;
        }
        throw Unexpected();
    }

    /// <summary>Any identifier or keyword (after AS or a dot, where even reserved words are names).</summary>
    private string AnyName()
    {
        var t = Peek;
        if (t.Kind is TokenKind.Identifier or TokenKind.Keyword)
        {
            Next();
            return t.Text;
        }
        throw Unexpected();
    }
}
