namespace Tusk.Sql.Parser;

public sealed partial class SqlParser
{
    private Statement DataModification(WithClause? with, int position)
    {
        if (AcceptKeyword("insert"))
        {
            ExpectKeyword("into");
            var table = QualifiedName();
            var alias = AcceptKeyword("as") ? Name() : null;
            string[] columns = [];
            if (Peek.Is(TokenKind.Punctuation, "(") && !(PeekAt(1).IsKeyword("select") || PeekAt(1).IsKeyword("values") || PeekAt(1).IsKeyword("with")))
            {
                Next();
                columns = NameListRest();
            }
            SelectStmt? source = null;
            if (AcceptKeyword("default")) ExpectKeyword("values");
            else source = Select();
            OnConflict? onConflict = null;
            if (AcceptKeyword("on"))
            {
                ExpectWord("conflict");
                string[] conflictColumns = Accept(TokenKind.Punctuation, "(") ? NameListRest() : [];
                ExpectKeyword("do");
                if (AcceptWord("nothing"))
                {
                    onConflict = new OnConflict(conflictColumns, true, [], null);
                }
                else
                {
                    ExpectKeyword("update");
                    ExpectKeyword("set");
                    var sets = SetClauses();
                    onConflict = new OnConflict(conflictColumns, false, sets, AcceptKeyword("where") ? Expression() : null);
                }
            }
            return new InsertStmt(with, table, alias, columns, source, onConflict, Returning()) { Position = position };
        }
        if (AcceptKeyword("update"))
        {
            var table = QualifiedName();
            var alias = AcceptKeyword("as") ? Name() : Peek.Kind == TokenKind.Identifier ? Next().Text : null;
            ExpectKeyword("set");
            var sets = SetClauses();
            var from = new List<FromItem>();
            if (AcceptKeyword("from"))
            {
                do from.Add(FromItemWithJoins());
                while (Accept(TokenKind.Punctuation, ","));
            }
            var where = AcceptKeyword("where") ? Expression() : null;
            return new UpdateStmt(with, table, alias, sets, [.. from], where, Returning()) { Position = position };
        }
        ExpectKeyword("delete");
        ExpectKeyword("from");
        var target = QualifiedName();
        var targetAlias = AcceptKeyword("as") ? Name() : Peek.Kind == TokenKind.Identifier ? Next().Text : null;
        var usingItems = new List<FromItem>();
        if (AcceptKeyword("using"))
        {
            do usingItems.Add(FromItemWithJoins());
            while (Accept(TokenKind.Punctuation, ","));
        }
        var condition = AcceptKeyword("where") ? Expression() : null;
        return new DeleteStmt(with, target, targetAlias, [.. usingItems], condition, Returning()) { Position = position };
    }

    private SetClause[] SetClauses()
    {
        var sets = new List<SetClause>();
        do
        {
            var column = AnyName();
            if (Accept(TokenKind.Punctuation, ".")) column = AnyName();  // t.col: the table qualifier is dropped
            if (!Accept(TokenKind.Operator, "=")) throw Unexpected();
            sets.Add(new SetClause(column, Expression()));
        }
        while (Accept(TokenKind.Punctuation, ","));
        return [.. sets];
    }

    private Target[] Returning()
    {
        if (!AcceptKeyword("returning")) return [];
        var targets = new List<Target>();
        do targets.Add(TargetItem());
        while (Accept(TokenKind.Punctuation, ","));
        return [.. targets];
    }

    private Statement Utility(int position)
    {
        if (AcceptKeyword("create")) return Create(position);
        if (AcceptKeyword("drop")) return Drop(position);
        if (AcceptWord("alter")) return Alter(position);
        if (AcceptWord("truncate"))
        {
            AcceptKeyword("table");
            var tables = new List<string[]>();
            do tables.Add(QualifiedName());
            while (Accept(TokenKind.Punctuation, ","));
            return new TruncateStmt([.. tables], CascadeOption()) { Position = position };
        }
        if (AcceptWord("begin") || AcceptWord("start"))
        {
            if (!AcceptWord("transaction")) AcceptWord("work");
            var (isolation, readOnly) = TransactionModes();
            return new TransactionStmt("begin", isolation, readOnly, null) { Position = position };
        }
        if (AcceptWord("commit") || AcceptKeyword("end"))
        {
            if (!AcceptWord("transaction")) AcceptWord("work");
            return new TransactionStmt("commit", null, null, null) { Position = position };
        }
        if (AcceptWord("abort") || AcceptWord("rollback"))
        {
            if (!AcceptWord("transaction")) AcceptWord("work");
            if (AcceptKeyword("to"))
            {
                AcceptWord("savepoint");
                return new TransactionStmt("rollback-to", null, null, Name()) { Position = position };
            }
            return new TransactionStmt("rollback", null, null, null) { Position = position };
        }
        if (AcceptWord("savepoint")) return new TransactionStmt("savepoint", null, null, Name()) { Position = position };
        if (AcceptWord("release"))
        {
            AcceptWord("savepoint");
            return new TransactionStmt("release", null, null, Name()) { Position = position };
        }
        if (AcceptKeyword("set")) return Set(position);
        if (AcceptWord("reset")) return new SetStmt(Peek.IsKeyword("all") ? Next().Text : SettingName(), [], false, true) { Position = position };
        if (AcceptWord("show")) return new ShowStmt(Peek.IsKeyword("all") ? Next().Text : SettingName()) { Position = position };
        if (AcceptWord("explain"))
        {
            var analyze = AcceptWord("analyze") || AcceptWord("analyse");
            var verbose = AcceptWord("verbose");
            return new ExplainStmt(ParseStatement(), analyze, verbose) { Position = position };
        }
        if (AcceptWord("copy")) return Copy(position);
        if (AcceptWord("lock")) return Lock(position);
        if (AcceptWord("vacuum")) return Maintenance(position, vacuum: true);
        if (AcceptWord("analyze") || AcceptWord("analyse")) return Maintenance(position, vacuum: false);
        throw Unexpected();
    }

    private (string? Isolation, bool? ReadOnly) TransactionModes()
    {
        string? isolation = null;
        bool? readOnly = null;
        while (true)
        {
            if (AcceptWord("isolation"))
            {
                ExpectWord("level");
                if (AcceptWord("serializable")) isolation = "serializable";
                else if (AcceptWord("repeatable")) { ExpectWord("read"); isolation = "repeatable read"; }
                else
                {
                    ExpectWord("read");
                    if (AcceptWord("committed")) isolation = "read committed";
                    else { ExpectWord("uncommitted"); isolation = "read uncommitted"; }
                }
            }
            else if (AcceptWord("read"))
            {
                if (AcceptKeyword("only") || AcceptWord("only")) readOnly = true;
                else { ExpectWord("write"); readOnly = false; }
            }
            else if (AcceptKeyword("not"))
            {
                ExpectWord("deferrable");
            }
            else if (!AcceptWord("deferrable"))
            {
                return (isolation, readOnly);
            }
            Accept(TokenKind.Punctuation, ",");
        }
    }

    private Statement Set(int position)
    {
        var local = AcceptWord("local");
        if (!local) AcceptWord("session");
        if (AcceptWord("transaction"))
        {
            var (isolation, readOnly) = TransactionModes();
            return new TransactionStmt("set-transaction", isolation, readOnly, null) { Position = position };
        }
        if (Peek.Kind == TokenKind.Identifier && Peek.Text == "time" && PeekAt(1).Kind == TokenKind.Identifier && PeekAt(1).Text == "zone")
        {
            Next();
            Next();
            return new SetStmt("timezone", [SettingValue()], local, false) { Position = position };
        }
        var name = SettingName();
        if (!AcceptKeyword("to") && !Accept(TokenKind.Operator, "=")) throw Unexpected();
        var values = new List<string>();
        do values.Add(SettingValue());
        while (Accept(TokenKind.Punctuation, ","));
        return new SetStmt(name, [.. values], local, false) { Position = position };
    }

    private string SettingName()
    {
        var name = AnyName();
        while (Accept(TokenKind.Punctuation, ".")) name += "." + AnyName();
        return name;
    }

    private string SettingValue()
    {
        var t = Next();
        return t.Kind switch
        {
            TokenKind.String or TokenKind.Integer or TokenKind.Numeric or TokenKind.Identifier or TokenKind.Keyword => t.Text,
            TokenKind.Operator when t.Text == "-" && Peek.Kind is TokenKind.Integer or TokenKind.Numeric => "-" + Next().Text,
            _ => throw new SqlSyntaxException($"syntax error at or near \"{t.Text}\"", t.Position + 1),
        };
    }

    /// <summary>WITH (fillfactor = 100, ...) and TABLESPACE x after CREATE TABLE: accepted and ignored (storage is the LSM's).</summary>
    private void StorageParameters()
    {
        if (Peek.IsKeyword("with") && PeekAt(1).Is(TokenKind.Punctuation, "("))
        {
            Next();
            Next();
            var depth = 1;
            while (depth > 0 && Peek.Kind != TokenKind.End)
            {
                var t = Next();
                if (t.Is(TokenKind.Punctuation, "(")) depth++;
                else if (t.Is(TokenKind.Punctuation, ")")) depth--;
            }
        }
        if (AcceptWord("tablespace")) AnyName();
    }

    private Statement Create(int position)
    {
        var orReplace = false;
        if (AcceptKeyword("or"))
        {
            ExpectWord("replace");
            orReplace = true;
        }
        if (AcceptKeyword("table"))
        {
            var ifNotExists = IfNotExists();
            var name = QualifiedName();
            if (AcceptKeyword("as")) return new CreateTableStmt(name, ifNotExists, [], [], Select()) { Position = position };
            Expect(TokenKind.Punctuation, "(");
            var columns = new List<ColumnDef>();
            var constraints = new List<TableConstraint>();
            if (!Accept(TokenKind.Punctuation, ")"))
            {
                do
                {
                    if (Peek.IsKeyword("constraint") || Peek.IsKeyword("primary") || Peek.IsKeyword("unique") || Peek.IsKeyword("check") || Peek.IsKeyword("foreign"))
                        constraints.Add(TableConstraintDef());
                    else
                        columns.Add(ColumnDefinition());
                }
                while (Accept(TokenKind.Punctuation, ","));
                Expect(TokenKind.Punctuation, ")");
            }
            StorageParameters();
            return new CreateTableStmt(name, ifNotExists, [.. columns], [.. constraints], null) { Position = position };
        }
        var unique = AcceptKeyword("unique");
        if (AcceptWord("index"))
        {
            var ifNotExists = IfNotExists();
            string? indexName = Peek.IsKeyword("on") ? null : Name();
            ExpectKeyword("on");
            var table = QualifiedName();
            if (AcceptKeyword("using")) AnyName();  // btree: the only kind, accepted for compatibility
            Expect(TokenKind.Punctuation, "(");
            var items = new List<OrderItem>();
            do
            {
                var e = Expression();
                var desc = AcceptKeyword("desc");
                if (!desc) AcceptKeyword("asc");
                items.Add(new OrderItem(e, desc, null));
            }
            while (Accept(TokenKind.Punctuation, ","));
            Expect(TokenKind.Punctuation, ")");
            return new CreateIndexStmt(indexName, unique, ifNotExists, table, [.. items], AcceptKeyword("where") ? Expression() : null) { Position = position };
        }
        if (unique) throw Unexpected();
        if (AcceptWord("schema"))
        {
            var ifNotExists = IfNotExists();
            return new CreateSchemaStmt(Name(), ifNotExists) { Position = position };
        }
        if (AcceptWord("view"))
        {
            var name = QualifiedName();
            string[] columns = Accept(TokenKind.Punctuation, "(") ? NameListRest() : [];
            ExpectKeyword("as");
            return new CreateViewStmt(name, orReplace, columns, Select()) { Position = position };
        }
        throw Unexpected();
    }

    private bool IfNotExists()
    {
        if (!AcceptWord("if")) return false;
        ExpectKeyword("not");
        ExpectKeyword("exists");
        return true;
    }

    private bool IfExists()
    {
        if (!AcceptWord("if")) return false;
        ExpectKeyword("exists");
        return true;
    }

    private bool CascadeOption()
    {
        if (AcceptWord("cascade")) return true;
        AcceptWord("restrict");
        return false;
    }

    private ColumnDef ColumnDefinition()
    {
        var name = Name();
        var type = Type();
        bool notNull = false, nullable = false, primaryKey = false, unique = false;
        Expr? defaultValue = null, check = null;
        string? identity = null;
        ForeignKeyRef? references = null;
        while (true)
        {
            if (AcceptKeyword("constraint")) Name();
            if (DeferralOptions()) { }
            else if (AcceptKeyword("not")) { ExpectKeyword("null"); notNull = true; }
            else if (AcceptKeyword("null")) nullable = true;
            else if (AcceptKeyword("default")) defaultValue = Expr(7);
            else if (AcceptKeyword("primary")) { ExpectWord("key"); primaryKey = true; }
            else if (AcceptKeyword("unique")) unique = true;
            else if (AcceptKeyword("check"))
            {
                Expect(TokenKind.Punctuation, "(");
                check = Expression();
                Expect(TokenKind.Punctuation, ")");
            }
            else if (AcceptKeyword("references")) references = ReferencesClause();
            else if (AcceptWord("generated"))
            {
                identity = AcceptWord("always") ? "always" : "by default";
                if (identity == "by default") { ExpectKeyword("by"); ExpectKeyword("default"); }
                ExpectKeyword("as");
                ExpectWord("identity");
                if (Accept(TokenKind.Punctuation, "("))
                {
                    // Sequence options are accepted and ignored.
                    var depth = 1;
                    while (depth > 0 && Peek.Kind != TokenKind.End)
                    {
                        var t = Next();
                        if (t.Is(TokenKind.Punctuation, "(")) depth++;
                        else if (t.Is(TokenKind.Punctuation, ")")) depth--;
                    }
                }
            }
            else break;
        }
        return new ColumnDef(name, type, notNull, nullable, defaultValue, primaryKey, unique, check, identity, references);
    }

    private TableConstraint TableConstraintDef()
    {
        string? name = AcceptKeyword("constraint") ? Name() : null;
        if (AcceptKeyword("primary"))
        {
            ExpectWord("key");
            Expect(TokenKind.Punctuation, "(");
            return new TableConstraint(name, "primary key", NameListRest(), null, null);
        }
        if (AcceptKeyword("unique"))
        {
            Expect(TokenKind.Punctuation, "(");
            return new TableConstraint(name, "unique", NameListRest(), null, null);
        }
        if (AcceptKeyword("check"))
        {
            Expect(TokenKind.Punctuation, "(");
            var e = Expression();
            Expect(TokenKind.Punctuation, ")");
            return new TableConstraint(name, "check", [], e, null);
        }
        ExpectKeyword("foreign");
        ExpectWord("key");
        Expect(TokenKind.Punctuation, "(");
        var columns = NameListRest();
        ExpectKeyword("references");
        var references = ReferencesClause();
        DeferralOptions();
        return new TableConstraint(name, "foreign key", columns, null, references);
    }

    /// <summary>After REFERENCES: <c>t [(cols)] [MATCH FULL | SIMPLE] [ON DELETE action] [ON UPDATE action]</c>.</summary>
    private ForeignKeyRef ReferencesClause()
    {
        var table = QualifiedName();
        string[] columns = Accept(TokenKind.Punctuation, "(") ? NameListRest() : [];
        if (AcceptWord("match"))
        {
            if (!AcceptKeyword("full") && !AcceptWord("simple")) throw Unexpected();
        }
        string onDelete = "no action", onUpdate = "no action";
        while (Peek.IsKeyword("on"))
        {
            Next();
            if (AcceptKeyword("delete")) onDelete = ReferentialAction();
            else if (AcceptKeyword("update")) onUpdate = ReferentialAction();
            else throw Unexpected();
        }
        return new ForeignKeyRef(table, columns, onDelete, onUpdate);
    }

    private string ReferentialAction()
    {
        if (AcceptWord("cascade")) return "cascade";
        if (AcceptWord("restrict")) return "restrict";
        if (AcceptWord("no"))
        {
            ExpectWord("action");
            return "no action";
        }
        if (AcceptKeyword("set"))
        {
            if (AcceptKeyword("null")) return "set null";
            ExpectKeyword("default");
            return "set default";
        }
        throw Unexpected();
    }

    /// <summary>
    /// <c>[NOT] DEFERRABLE [INITIALLY DEFERRED | IMMEDIATE]</c>, accepted for compatibility: constraints are checked at
    /// the end of each statement. Returns whether any option was there.
    /// </summary>
    private bool DeferralOptions()
    {
        var any = false;
        while (true)
        {
            if (Peek.IsKeyword("not") && PeekAt(1).Text == "deferrable" && !PeekAt(1).Quoted) { Next(); Next(); }
            else if (AcceptKeyword("deferrable")) { }
            else if (AcceptKeyword("initially"))
            {
                if (!AcceptWord("immediate")) ExpectWord("deferred");
            }
            else return any;
            any = true;
        }
    }

    private Statement Drop(int position)
    {
        string kind;
        if (AcceptKeyword("table")) kind = "table";
        else if (AcceptWord("index")) kind = "index";
        else if (AcceptWord("view")) kind = "view";
        else if (AcceptWord("schema")) kind = "schema";
        else throw Unexpected();
        var ifExists = IfExists();
        var names = new List<string[]>();
        do names.Add(QualifiedName());
        while (Accept(TokenKind.Punctuation, ","));
        return new DropStmt(kind, [.. names], ifExists, CascadeOption()) { Position = position };
    }

    private Statement Alter(int position)
    {
        ExpectKeyword("table");
        var ifExists = IfExists();
        AcceptKeyword("only");
        var table = QualifiedName();
        var actions = new List<AlterAction>();
        do actions.Add(AlterActionDef());
        while (Accept(TokenKind.Punctuation, ","));
        return new AlterTableStmt(table, ifExists, [.. actions]) { Position = position };
    }

    private AlterAction AlterActionDef()
    {
        if (AcceptWord("add"))
        {
            if (Peek.IsKeyword("constraint") || Peek.IsKeyword("primary") || Peek.IsKeyword("unique") || Peek.IsKeyword("check") || Peek.IsKeyword("foreign"))
                return new AddConstraint(TableConstraintDef());
            AcceptKeyword("column");
            var ifNotExists = IfNotExists();
            return new AddColumn(ColumnDefinition(), ifNotExists);
        }
        if (AcceptKeyword("drop"))
        {
            if (AcceptKeyword("constraint"))
            {
                var ifExists = IfExists();
                return new DropConstraint(Name(), ifExists);
            }
            AcceptKeyword("column");
            var columnIfExists = IfExists();
            var column = Name();
            return new DropColumn(column, columnIfExists, CascadeOption());
        }
        if (AcceptWord("rename"))
        {
            if (AcceptKeyword("to")) return new RenameTable(Name());
            AcceptKeyword("column");
            var column = Name();
            ExpectKeyword("to");
            return new RenameColumn(column, Name());
        }
        if (AcceptWord("alter"))
        {
            AcceptKeyword("column");
            var column = Name();
            if (AcceptKeyword("set"))
            {
                if (AcceptKeyword("default")) return new AlterColumn(column, "set default", Expression(), null);
                ExpectKeyword("not");
                ExpectKeyword("null");
                return new AlterColumn(column, "set not null", null, null);
            }
            if (AcceptKeyword("drop"))
            {
                if (AcceptKeyword("default")) return new AlterColumn(column, "drop default", null, null);
                ExpectKeyword("not");
                ExpectKeyword("null");
                return new AlterColumn(column, "drop not null", null, null);
            }
            if (AcceptWord("set")) { }
            ExpectWord("type");
            return new AlterColumn(column, "type", null, Type());
        }
        throw Unexpected();
    }

    private Statement Copy(int position)
    {
        string[]? table = null;
        SelectStmt? query = null;
        if (Accept(TokenKind.Punctuation, "("))
        {
            query = Select();
            Expect(TokenKind.Punctuation, ")");
        }
        else
        {
            table = QualifiedName();
        }
        string[] columns = table is not null && Accept(TokenKind.Punctuation, "(") ? NameListRest() : [];
        bool from;
        if (AcceptKeyword("from")) { from = true; ExpectWord("stdin"); }
        else { ExpectKeyword("to"); from = false; ExpectWord("stdout"); }
        if (from && query is not null) throw new SqlSyntaxException("COPY (query) FROM is not allowed", position + 1);
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        AcceptKeyword("with");
        if (Accept(TokenKind.Punctuation, "("))
        {
            do
            {
                var name = AnyName();
                options[name] = Peek.Is(TokenKind.Punctuation, ",") || Peek.Is(TokenKind.Punctuation, ")") ? "true" : SettingValue();
            }
            while (Accept(TokenKind.Punctuation, ","));
            Expect(TokenKind.Punctuation, ")");
        }
        else
        {
            // The pre-9.0 form: COPY t FROM STDIN CSV HEADER DELIMITER ','
            while (Peek.Kind is TokenKind.Identifier or TokenKind.Keyword && Peek.Kind != TokenKind.End)
            {
                var word = Next().Text;
                if (word is "csv" or "binary") options["format"] = word;
                else if (word == "header") options["header"] = "true";
                else if (word is "delimiter" or "null" or "quote" or "escape") { AcceptKeyword("as"); options[word] = SettingValue(); }
                else throw new SqlSyntaxException($"syntax error at or near \"{word}\"", position + 1);
            }
        }
        return new CopyStmt(table, columns, query, from, options) { Position = position };
    }
}
