using Tusk.Core.Encoding;
using Tusk.Kv;
using Tusk.Sql.Catalog;
using Tusk.Sql.Execution;
using Tusk.Sql.Parser;
using Tusk.Sql.Planning;
using Tusk.Sql.Types;

namespace Tusk.Sql;

/// <summary>DDL: descriptors written as keys in the statement's transaction (so DDL commits or rolls back with it).</summary>
public sealed partial class SqlSession
{
    private (IReadOnlyList<ResultColumn>?, Func<ExecContext, QueryResult>, PlanNode?, bool) BindDdl(Statement statement, Planner planner)
    {
        // DDL binds against the catalog at run time (it reads and writes descriptors in the transaction).
        Func<ExecContext, QueryResult> run = statement switch
        {
            CreateTableStmt create => ctx => CreateTable(ctx, create, planner),
            DropStmt drop => ctx => Drop(ctx, drop, planner.Catalog),
            CreateIndexStmt index => ctx => CreateIndex(ctx, index, planner.Catalog),
            CreateSchemaStmt schema => ctx => CreateSchema(ctx, schema, planner.Catalog),
            CreateViewStmt view => ctx => CreateView(ctx, view, planner),
            TruncateStmt truncate => ctx => Truncate(ctx, truncate, planner),
            AlterTableStmt alter => ctx => AlterTable(ctx, alter, planner),
            _ => throw new SqlException("0A000", $"statement {statement.GetType().Name} is not supported", statement.Position),
        };
        return (null, run, null, true);
    }

    private static void Save(IKvTransaction tx, TableDescriptor table)
    {
        table.Version++;
        tx.Put(Catalog.Catalog.RelationKey(table.Id), table.Serialize());
        Catalog.Catalog.BumpVersion(tx);
    }

    /// <summary>Deletes every key in [begin, end) in the transaction.</summary>
    private static long DeleteRange(ExecContext ctx, byte[] begin, byte[] end)
    {
        long n = 0;
        while (true)
        {
            var batch = ctx.Tx.Scan(begin, end, 1024);
            foreach (var pair in batch)
            {
                ctx.Tx.Delete(pair.Key);
                n++;
            }
            if (batch.Count < 1024) return n;
            begin = [.. batch[^1].Key, 0];
        }
    }

    private static (string Schema, string Name) QualifiedName(string[] name, Catalog.Catalog catalog, int position)
    {
        var (schema, table) = Planner.SplitName(name, position);
        schema ??= "public";
        if (!catalog.Schemas.ContainsKey(schema)) throw new SqlException("3F000", $"schema \"{schema}\" does not exist", position);
        return (schema, table);
    }

    private QueryResult CreateTable(ExecContext ctx, CreateTableStmt create, Planner planner)
    {
        var catalog = planner.Catalog;
        var (schema, name) = QualifiedName(create.Name, catalog, create.Position);
        if (catalog.NameTaken(schema, name))
        {
            if (create.IfNotExists)
            {
                Notice($"relation \"{name}\" already exists, skipping", "42P07");
                return new QueryResult("CREATE TABLE");
            }
            throw new SqlException("42P07", $"relation \"{name}\" already exists", create.Position);
        }
        var table = new TableDescriptor { Id = Catalog.Catalog.AllocateId(ctx.Tx), Schema = schema, Name = name, Kind = RelationKind.Table };
        PlanNode? asPlan = null;
        if (create.AsQuery is not null)
        {
            asPlan = planner.PlanQuery(create.AsQuery, null, out _);
            var names = create.Columns.Length > 0 ? create.Columns.Select(c => c.Name).ToArray() : asPlan.Columns.Select(c => c.Name).ToArray();
            for (var i = 0; i < asPlan.Columns.Count; i++)
            {
                var type = asPlan.Columns[i].Type.Id == SqlTypeId.Unknown ? SqlType.Text : asPlan.Columns[i].Type;
                table.Columns.Add(ColumnDescriptor.Create(table.NextColumnId++, i < names.Length ? names[i] : asPlan.Columns[i].Name, type));
            }
        }
        var pk = new List<string>();
        string? pkName = null;
        var uniques = new List<(string? Name, string[] Columns)>();
        var foreignKeys = new List<(string? Name, string[] Columns, ForeignKeyRef Reference)>();
        foreach (var def in create.Columns.Where(_ => create.AsQuery is null))
        {
            if (table.Columns.Exists(c => c.Name == def.Name)) throw new SqlException("42701", $"column \"{def.Name}\" specified more than once", create.Position);
            var column = DefineColumn(ctx, table, def, planner, create.Position);
            table.Columns.Add(column);
            if (def.PrimaryKey) pk.Add(def.Name);
            if (def.Unique) uniques.Add((null, [def.Name]));
            if (def.Check is not null) table.Checks.Add(new CheckDescriptor { Name = $"{name}_{def.Name}_check", Expression = SqlText.Print(def.Check) });
            if (def.References is not null) foreignKeys.Add((null, [def.Name], def.References));
        }
        foreach (var c in create.Constraints)
        {
            switch (c.Kind)
            {
                case "primary key":
                    if (pk.Count > 0) throw new SqlException("42P16", $"multiple primary keys for table \"{name}\" are not allowed", create.Position);
                    pk.AddRange(c.Columns);
                    pkName = c.Name;
                    break;
                case "unique":
                    uniques.Add((c.Name, c.Columns));
                    break;
                case "check":
                    table.Checks.Add(new CheckDescriptor { Name = c.Name ?? UniqueCheckName(table, name), Expression = SqlText.Print(c.Check!) });
                    break;
                default:
                    foreignKeys.Add((c.Name, c.Columns, c.References!));
                    break;
            }
        }
        if (pk.Count > 1 && create.Columns.Count(d => d.PrimaryKey) > 1) throw new SqlException("42P16", $"multiple primary keys for table \"{name}\" are not allowed", create.Position);
        SetPrimaryKey(ctx, table, pk, pkName ?? $"{name}_pkey");
        foreach (var (uname, cols) in uniques) AddIndex(table, uname ?? IndexName(table, cols, "key", catalog), cols, unique: true, constraint: true, create.Position);
        // After the keys: a table may reference its own primary key or unique columns.
        foreach (var (fkName, cols, reference) in foreignKeys) table.ForeignKeys.Add(DefineForeignKey(table, fkName, cols, reference, catalog, create.Position));
        ValidateExpressions(table, planner);
        Save(ctx.Tx, table);
        if (asPlan is not null)
        {
            var writer = new TableWriter(table, []);
            var rowidDefault = table.Columns.FindIndex(c => c.Hidden);
            var inserted = 0L;
            foreach (var r in asPlan.Run(ctx).ToList())
            {
                inserted++;
                var row = new object?[table.Columns.Count];
                for (var i = 0; i < r.Length; i++) row[i] = r[i];
                if (rowidDefault >= 0) row[rowidDefault] = NextValue(table.Columns[rowidDefault].Sequence!, ctx);
                writer.InsertChecked(ctx, row);
            }
            return new QueryResult($"SELECT {inserted}");
        }
        return new QueryResult("CREATE TABLE");
    }

    private static string UniqueCheckName(TableDescriptor table, string name)
    {
        var n = $"{name}_check";
        for (var i = 1; table.Checks.Exists(c => c.Name == n); i++) n = $"{name}_check{i}";
        return n;
    }

    /// <summary>
    /// Resolves a FOREIGN KEY of <paramref name="table"/> as PostgreSQL checks it: the referenced table (or the table
    /// itself), the referenced columns (its primary key when none are named), which must be exactly the columns of its
    /// primary key or of a unique index, in equal number and of comparable types.
    /// </summary>
    private static ForeignKeyDescriptor DefineForeignKey(TableDescriptor table, string? name, string[] columns, ForeignKeyRef reference, Catalog.Catalog catalog, int position)
    {
        var (schema, parentName) = QualifiedName(reference.Table, catalog, position);
        var parent = schema == table.Schema && parentName == table.Name
            ? table
            : catalog.Find(schema, parentName) ?? throw new SqlException("42P01", $"relation \"{parentName}\" does not exist", position);
        if (parent.Kind != RelationKind.Table) throw new SqlException("42809", $"referenced relation \"{parent.Name}\" is not a table", position);
        int ColumnId(TableDescriptor t, string column) =>
            t.FindColumn(column)?.Id ?? throw new SqlException("42703", $"column \"{column}\" referenced in foreign key constraint does not exist", position);
        var childIds = columns.Select(c => ColumnId(table, c)).ToArray();
        int[] parentIds;
        if (reference.Columns.Length == 0)
        {
            if (parent.PrimaryKeyName is null) throw new SqlException("42830", $"there is no primary key for referenced table \"{parent.Name}\"", position);
            parentIds = parent.PrimaryKey;
        }
        else
        {
            parentIds = reference.Columns.Select(c => ColumnId(parent, c)).ToArray();
        }
        if (childIds.Length != parentIds.Length) throw new SqlException("42830", "number of referencing and referenced columns for foreign key disagree", position);
        bool Matches(int[] key) => key.Length == parentIds.Length && key.All(parentIds.Contains) && parentIds.Distinct().Count() == parentIds.Length;
        if (!(parent.PrimaryKeyName is not null && Matches(parent.PrimaryKey)) && !parent.Indexes.Exists(i => i.Unique && Matches(i.ColumnIds)))
        {
            throw new SqlException("42830", $"there is no unique constraint matching given keys for referenced table \"{parent.Name}\"", position);
        }
        name ??= ConstraintName(table, $"{table.Name}_{string.Join("_", columns)}_fkey");
        if (table.ForeignKeys.Exists(f => f.Name == name) || table.Checks.Exists(c => c.Name == name) || table.Indexes.Exists(i => i.Name == name))
        {
            throw new SqlException("42710", $"constraint \"{name}\" for relation \"{table.Name}\" already exists", position);
        }
        for (var i = 0; i < childIds.Length; i++)
        {
            var child = table.Columns[table.ColumnIndex(childIds[i])];
            var referenced = parent.Columns[parent.ColumnIndex(parentIds[i])];
            var (a, b) = (child.Type, referenced.Type);
            if (a.Id != b.Id && !(a.IsNumeric && b.IsNumeric) && !(a.IsText && b.IsText))
            {
                throw new SqlException("42804", $"foreign key constraint \"{name}\" cannot be implemented", position,
                    detail: $"Key columns \"{child.Name}\" and \"{referenced.Name}\" are of incompatible types: {a.Name} and {b.Name}.");
            }
        }
        return new ForeignKeyDescriptor
        {
            Name = name,
            ColumnIds = childIds,
            ReferencedTableId = parent.Id,
            ReferencedColumnIds = [.. parentIds],
            OnDelete = reference.OnDelete,
            OnUpdate = reference.OnUpdate,
        };
    }

    /// <summary>A constraint name not yet used on the table: the stem, else the stem with 1, 2, ... appended (PostgreSQL's choice).</summary>
    private static string ConstraintName(TableDescriptor table, string stem)
    {
        var n = stem;
        for (var i = 1; table.ForeignKeys.Exists(f => f.Name == n) || table.Checks.Exists(c => c.Name == n) || table.Indexes.Exists(x => x.Name == n); i++) n = stem + i;
        return n;
    }

    /// <summary>
    /// Before <paramref name="what"/> (a table, or one of its columns) goes: the foreign keys of other tables that reference
    /// it are an error (2BP01), or with CASCADE are dropped, as PostgreSQL drops dependent constraints.
    /// </summary>
    private void DropReferencingKeys(ExecContext ctx, Catalog.Catalog catalog, TableDescriptor parent, int? columnId, IReadOnlySet<int> alsoDropped, bool cascade, string what)
    {
        foreach (var child in catalog.Relations)
        {
            if (child.Id == parent.Id || alsoDropped.Contains(child.Id)) continue;
            var keys = child.ForeignKeys.Where(f => f.ReferencedTableId == parent.Id && (columnId is null || f.ReferencedColumnIds.Contains(columnId.Value))).ToList();
            if (keys.Count == 0) continue;
            if (!cascade)
            {
                throw new SqlException("2BP01", $"cannot drop {what} because other objects depend on it",
                    detail: $"constraint {keys[0].Name} on table {child.Name} depends on {what}", hint: "Use DROP ... CASCADE to drop the dependent objects too.");
            }
            var changed = child.Clone();
            changed.ForeignKeys.RemoveAll(f => keys.Exists(k => k.Name == f.Name));
            Save(ctx.Tx, changed);
            foreach (var k in keys) Notice($"drop cascades to constraint {k.Name} on table {child.Name}");
        }
    }

    private static string IndexName(TableDescriptor table, IEnumerable<string> columns, string suffix, Catalog.Catalog catalog)
    {
        var stem = $"{table.Name}_{string.Join("_", columns)}_{suffix}";
        var n = stem;
        for (var i = 1; catalog.NameTaken(table.Schema, n) || table.Indexes.Exists(x => x.Name == n); i++) n = stem + i;
        return n;
    }

    private ColumnDescriptor DefineColumn(ExecContext ctx, TableDescriptor table, ColumnDef def, Planner planner, int position)
    {
        var typeName = def.Type.Name;
        var serial = typeName is "serial" or "serial4" or "bigserial" or "serial8" or "smallserial" or "serial2";
        var type = typeName is "smallserial" or "serial2" ? SqlType.Int2 : Planner.ResolveType(def.Type, position);
        var column = ColumnDescriptor.Create(table.NextColumnId++, def.Name, type);
        column.NotNull = def.NotNull || def.PrimaryKey;
        if (def.Default is not null)
        {
            column.Default = SqlText.Print(def.Default);
        }
        if (serial || def.Identity is not null)
        {
            var seq = $"{table.Name}_{def.Name}_seq";
            Sequences.Create(ctx.Tx, seq);
            Engine.Sequences.Forget(seq);
            column.Sequence = seq;
            column.Default = $"nextval('{seq}')";
            column.NotNull = true;
            column.IdentityAlways = def.Identity == "always";
        }
        return column;
    }

    /// <summary>Sets the primary key (or the hidden rowid when none is declared).</summary>
    private void SetPrimaryKey(ExecContext ctx, TableDescriptor table, List<string> columns, string name)
    {
        if (columns.Count == 0)
        {
            var rowid = ColumnDescriptor.Create(table.NextColumnId++, "rowid", SqlType.Int8);
            rowid.Hidden = true;
            rowid.NotNull = true;
            rowid.Sequence = $"#rowid{table.Id}";
            rowid.Default = $"nextval('{rowid.Sequence}')";
            Sequences.Create(ctx.Tx, rowid.Sequence);
            Engine.Sequences.Forget(rowid.Sequence);
            table.Columns.Add(rowid);
            table.PrimaryKey = [rowid.Id];
            table.PrimaryKeyName = null;
            return;
        }
        var ids = new List<int>();
        foreach (var c in columns)
        {
            var col = table.FindColumn(c) ?? throw new SqlException("42703", $"column \"{c}\" named in key does not exist");
            if (ids.Contains(col.Id)) throw new SqlException("42701", $"column \"{c}\" appears twice in primary key constraint");
            col.NotNull = true;
            ids.Add(col.Id);
        }
        table.PrimaryKey = [.. ids];
        table.PrimaryKeyName = name;
    }

    private static IndexDescriptor AddIndex(TableDescriptor table, string name, IReadOnlyList<string> columns, bool unique, bool constraint, int position)
    {
        var ids = columns.Select(c => table.FindColumn(c)?.Id ?? throw new SqlException("42703", $"column \"{c}\" does not exist", position)).ToArray();
        var index = new IndexDescriptor { Id = table.NextIndexId++, Name = name, ColumnIds = ids, Descending = new bool[ids.Length], Unique = unique, IsConstraint = constraint };
        table.Indexes.Add(index);
        return index;
    }

    /// <summary>Checks that defaults and CHECK expressions bind (so errors surface at CREATE, not at the first INSERT).</summary>
    private static void ValidateExpressions(TableDescriptor table, Planner planner)
    {
        var probe = new Planner(new Catalog.Catalog(planner.Catalog.Version, planner.Catalog.Schemas, planner.Catalog.Relations.Append(table)), [], planner.VirtualCatalog);
        foreach (var c in table.Columns.Where(c => c.Default is not null && c.Sequence is null))
        {
            var e = probe.BindExpr(SqlParser.ParseExpression(c.Default!), new Scope(null, []));
            probe.Coerce(e, c.Type, false, -1);
        }
        BindChecks(table, probe);
    }

    private QueryResult CreateIndex(ExecContext ctx, CreateIndexStmt stmt, Catalog.Catalog catalog)
    {
        var planner = new Planner(catalog);
        var table = planner.ResolveTable(stmt.Table, stmt.Position).Clone();
        if (table.Kind != RelationKind.Table) throw new SqlException("42809", $"\"{table.Name}\" is not a table", stmt.Position);
        var columns = stmt.Columns.Select(c => c.Expression is ColumnRef { Parts.Length: 1 } r
            ? r.Parts[0]
            : throw new SqlException("0A000", "indexes on expressions are not supported", c.Expression.Position)).ToArray();
        if (stmt.Where is not null) throw new SqlException("0A000", "partial indexes are not supported", stmt.Position);
        var name = stmt.Name ?? IndexName(table, columns, "idx", catalog);
        if (catalog.NameTaken(table.Schema, name))
        {
            if (stmt.IfNotExists)
            {
                Notice($"relation \"{name}\" already exists, skipping", "42P07");
                return new QueryResult("CREATE INDEX");
            }
            throw new SqlException("42P07", $"relation \"{name}\" already exists", stmt.Position);
        }
        var index = AddIndex(table, name, columns, stmt.Unique, constraint: false, stmt.Position);
        index.Descending = stmt.Columns.Select(c => c.Descending).ToArray();
        Backfill(ctx, table, index);
        Save(ctx.Tx, table);
        return new QueryResult("CREATE INDEX");
    }

    /// <summary>Writes the entries of a new index for every row; a duplicate in a unique index is 23505.</summary>
    private static void Backfill(ExecContext ctx, TableDescriptor table, IndexDescriptor index)
    {
        var scan = new TableScanNode(table, table.Name, new KeyBounds(), null);
        foreach (var row in scan.Run(ctx))
        {
            var (key, value, unique) = IndexEntries.Entry(table, index, row);
            if (unique && ctx.Tx.Get(key) is not null)
            {
                var values = string.Join(", ", index.ColumnIds.Select(id => row[table.ColumnIndex(id)] is { } v ? TextFormat.Format(v, table.Columns[table.ColumnIndex(id)].Type) : "null"));
                throw new SqlException("23505", $"could not create unique index \"{index.Name}\"",
                    detail: $"Key ({string.Join(", ", index.ColumnIds.Select(id => table.Columns[table.ColumnIndex(id)].Name))})=({values}) is duplicated.");
            }
            ctx.Tx.Put(key, value);
        }
    }

    private QueryResult CreateSchema(ExecContext ctx, CreateSchemaStmt stmt, Catalog.Catalog catalog)
    {
        if (catalog.Schemas.ContainsKey(stmt.Name) || stmt.Name is "pg_catalog" or "information_schema")
        {
            if (stmt.IfNotExists)
            {
                Notice($"schema \"{stmt.Name}\" already exists, skipping", "42P06");
                return new QueryResult("CREATE SCHEMA");
            }
            throw new SqlException("42P06", $"schema \"{stmt.Name}\" already exists", stmt.Position);
        }
        var id = Catalog.Catalog.AllocateId(ctx.Tx);
        ctx.Tx.Put(Catalog.Catalog.SchemaKey(stmt.Name), TupleEncoding.Pack((long)id));
        Catalog.Catalog.BumpVersion(ctx.Tx);
        return new QueryResult("CREATE SCHEMA");
    }

    private QueryResult CreateView(ExecContext ctx, CreateViewStmt stmt, Planner planner)
    {
        var catalog = planner.Catalog;
        var (schema, name) = QualifiedName(stmt.Name, catalog, stmt.Position);
        var plan = planner.PlanQuery(stmt.Query, null, out _);
        var existing = catalog.Find(schema, name);
        if (existing is not null && !(stmt.OrReplace && existing.Kind == RelationKind.View))
        {
            throw new SqlException("42P07", $"relation \"{name}\" already exists", stmt.Position);
        }
        var view = new TableDescriptor
        {
            Id = existing?.Id ?? Catalog.Catalog.AllocateId(ctx.Tx),
            Schema = schema,
            Name = name,
            Kind = RelationKind.View,
            ViewQuery = SqlText.Print(stmt.Query),
            Version = existing?.Version ?? 0,
        };
        for (var i = 0; i < plan.Columns.Count; i++)
        {
            var type = plan.Columns[i].Type.Id == SqlTypeId.Unknown ? SqlType.Text : plan.Columns[i].Type;
            view.Columns.Add(ColumnDescriptor.Create(view.NextColumnId++, i < stmt.Columns.Length ? stmt.Columns[i] : plan.Columns[i].Name, type));
        }
        Save(ctx.Tx, view);
        return new QueryResult("CREATE VIEW");
    }

    private QueryResult Drop(ExecContext ctx, DropStmt drop, Catalog.Catalog catalog)
    {
        var kind = drop.Kind;
        // Tables dropped together may reference each other.
        var dropped = kind == "table"
            ? drop.Names.Select(n => Planner.SplitName(n, drop.Position)).Select(n => catalog.Find(n.Schema ?? "public", n.Name)?.Id ?? -1).ToHashSet()
            : [];
        foreach (var name in drop.Names)
        {
            var (schemaName, relName) = Planner.SplitName(name, drop.Position);
            var schema = schemaName ?? "public";
            switch (kind)
            {
                case "schema":
                {
                    if (!catalog.Schemas.ContainsKey(relName))
                    {
                        if (drop.IfExists) { Notice($"schema \"{relName}\" does not exist, skipping"); continue; }
                        throw new SqlException("3F000", $"schema \"{relName}\" does not exist", drop.Position);
                    }
                    if (relName == "public") throw new SqlException("2BP01", "cannot drop schema public because other objects depend on it");
                    var members = catalog.Relations.Where(r => r.Schema == relName).ToList();
                    if (members.Count > 0 && !drop.Cascade)
                    {
                        throw new SqlException("2BP01", $"cannot drop schema {relName} because other objects depend on it", hint: "Use DROP ... CASCADE to drop the dependent objects too.");
                    }
                    var memberIds = members.Select(m => m.Id).ToHashSet();
                    foreach (var m in members)
                    {
                        DropReferencingKeys(ctx, catalog, m, null, memberIds, cascade: true, $"table {m.Name}");
                        DropRelation(ctx, m);
                    }
                    ctx.Tx.Delete(Catalog.Catalog.SchemaKey(relName));
                    Catalog.Catalog.BumpVersion(ctx.Tx);
                    break;
                }
                case "index":
                {
                    var found = catalog.FindIndex(schema, relName);
                    if (found is null)
                    {
                        if (drop.IfExists) { Notice($"index \"{relName}\" does not exist, skipping"); continue; }
                        throw new SqlException("42704", $"index \"{relName}\" does not exist", drop.Position);
                    }
                    var (t, index) = found.Value;
                    if (index.IsConstraint)
                    {
                        throw new SqlException("2BP01", $"cannot drop index {relName} because constraint {relName} on table {t.Name} requires it",
                            hint: $"You can drop constraint {relName} on table {t.Name} instead.");
                    }
                    var table = t.Clone();
                    table.Indexes.RemoveAll(i => i.Id == index.Id);
                    DeleteRange(ctx, RowCodec.IndexPrefix(table.Id, index.Id), TupleEncoding.Strinc(RowCodec.IndexPrefix(table.Id, index.Id)));
                    Save(ctx.Tx, table);
                    break;
                }
                default:
                {
                    var t = catalog.Find(schema, relName);
                    var wanted = kind == "view" ? RelationKind.View : RelationKind.Table;
                    if (t is null || t.Kind != wanted)
                    {
                        if (t is not null) throw new SqlException("42809", $"\"{relName}\" is not a {kind}", drop.Position, hint: $"Use DROP {(t.Kind == RelationKind.View ? "VIEW" : "TABLE")} to remove a {(t.Kind == RelationKind.View ? "view" : "table")}.");
                        if (drop.IfExists) { Notice($"{kind} \"{relName}\" does not exist, skipping"); continue; }
                        throw new SqlException(kind == "view" ? "42P01" : "42P01", $"{kind} \"{relName}\" does not exist", drop.Position);
                    }
                    if (t.Kind == RelationKind.Table) DropReferencingKeys(ctx, catalog, t, null, dropped, drop.Cascade, $"table {t.Name}");
                    DropRelation(ctx, t);
                    break;
                }
            }
        }
        return new QueryResult("DROP " + kind.ToUpperInvariant());
    }

    private void DropRelation(ExecContext ctx, TableDescriptor t)
    {
        DeleteRange(ctx, RowCodec.TablePrefix(t.Id), TupleEncoding.Strinc(RowCodec.TablePrefix(t.Id)));
        foreach (var c in t.Columns.Where(c => c.Sequence is not null))
        {
            Sequences.Drop(ctx.Tx, c.Sequence!);
            Engine.Sequences.Forget(c.Sequence!);
        }
        ctx.Tx.Delete(Catalog.Catalog.RelationKey(t.Id));
        Catalog.Catalog.BumpVersion(ctx.Tx);
    }

    private QueryResult Truncate(ExecContext ctx, TruncateStmt stmt, Planner planner)
    {
        var tables = stmt.Tables.Select(name => WritableTable(planner, name, stmt.Position)).ToList();
        var ids = tables.Select(t => t.Id).ToHashSet();
        // A table referenced by a foreign key goes only with the tables that reference it (all of them with CASCADE).
        for (var i = 0; i < tables.Count; i++)
        {
            foreach (var child in planner.Catalog.Relations.Where(r => !ids.Contains(r.Id) && r.ForeignKeys.Exists(f => f.ReferencedTableId == tables[i].Id)).ToList())
            {
                if (!stmt.Cascade)
                {
                    throw new SqlException("0A000", "cannot truncate a table referenced in a foreign key constraint",
                        detail: $"Table \"{child.Name}\" references \"{tables[i].Name}\".", hint: $"Truncate table \"{child.Name}\" at the same time, or use TRUNCATE ... CASCADE.");
                }
                Notice($"truncate cascades to table \"{child.Name}\"");
                ids.Add(child.Id);
                tables.Add(child);
            }
        }
        foreach (var t in tables) DeleteRange(ctx, RowCodec.TablePrefix(t.Id), TupleEncoding.Strinc(RowCodec.TablePrefix(t.Id)));
        return new QueryResult("TRUNCATE TABLE");
    }

    private QueryResult AlterTable(ExecContext ctx, AlterTableStmt stmt, Planner planner)
    {
        var (schemaName, relName) = Planner.SplitName(stmt.Table, stmt.Position);
        var original = planner.Catalog.Find(schemaName ?? "public", relName);
        if (original is null)
        {
            if (stmt.IfExists)
            {
                Notice($"relation \"{relName}\" does not exist, skipping");
                return new QueryResult("ALTER TABLE");
            }
            throw new SqlException("42P01", $"relation \"{relName}\" does not exist", stmt.Position);
        }
        var table = original.Clone();
        var rewrite = false;
        var oldTable = original;
        var addedKeys = new List<ForeignKeyDescriptor>();
        foreach (var action in stmt.Actions)
        {
            switch (action)
            {
                case AddColumn add:
                {
                    if (table.FindColumn(add.Column.Name) is not null)
                    {
                        if (add.IfNotExists)
                        {
                            Notice($"column \"{add.Column.Name}\" of relation \"{table.Name}\" already exists, skipping", "42701");
                            break;
                        }
                        throw new SqlException("42701", $"column \"{add.Column.Name}\" of relation \"{table.Name}\" already exists", stmt.Position);
                    }
                    var column = DefineColumn(ctx, table, add.Column, planner, stmt.Position);
                    table.Columns.Insert(table.Columns.FindIndex(c => c.Hidden) is var h and >= 0 ? h : table.Columns.Count, column);
                    if (add.Column.Unique) AddIndex(table, IndexName(table, [column.Name], "key", planner.Catalog), [column.Name], true, true, stmt.Position);
                    if (add.Column.Check is not null) table.Checks.Add(new CheckDescriptor { Name = $"{table.Name}_{column.Name}_check", Expression = SqlText.Print(add.Column.Check) });
                    if (add.Column.PrimaryKey) throw new SqlException("0A000", "ADD COLUMN ... PRIMARY KEY is not supported; add the column, then ADD PRIMARY KEY");
                    if (add.Column.References is not null)
                    {
                        var key = DefineForeignKey(table, null, [column.Name], add.Column.References, planner.Catalog, stmt.Position);
                        table.ForeignKeys.Add(key);
                        addedKeys.Add(key);
                    }
                    if (column.Default is not null || column.NotNull) rewrite = true;
                    break;
                }
                case DropColumn drop:
                {
                    var column = table.FindColumn(drop.Name);
                    if (column is null)
                    {
                        if (drop.IfExists) { Notice($"column \"{drop.Name}\" of relation \"{table.Name}\" does not exist, skipping"); break; }
                        throw new SqlException("42703", $"column \"{drop.Name}\" of relation \"{table.Name}\" does not exist", stmt.Position);
                    }
                    if (table.PrimaryKey.Contains(column.Id)) throw new SqlException("2BP01", $"cannot drop column {drop.Name} of table {table.Name} because other objects depend on it");
                    foreach (var index in table.Indexes.Where(i => i.ColumnIds.Contains(column.Id)).ToList())
                    {
                        table.Indexes.Remove(index);
                        DeleteRange(ctx, RowCodec.IndexPrefix(table.Id, index.Id), TupleEncoding.Strinc(RowCodec.IndexPrefix(table.Id, index.Id)));
                    }
                    // The table's own keys over the column go with it; keys of other tables that reference it need CASCADE.
                    table.ForeignKeys.RemoveAll(f => f.ColumnIds.Contains(column.Id) || f.ReferencedTableId == table.Id && f.ReferencedColumnIds.Contains(column.Id));
                    DropReferencingKeys(ctx, planner.Catalog, table, column.Id, new HashSet<int>(), drop.Cascade, $"column {column.Name} of table {table.Name}");
                    table.Columns.Remove(column);
                    break;
                }
                case AddConstraint { Constraint: var c }:
                    switch (c.Kind)
                    {
                        case "primary key":
                            if (table.PrimaryKeyName is not null) throw new SqlException("42P16", $"multiple primary keys for table \"{table.Name}\" are not allowed", stmt.Position);
                            table.Columns.RemoveAll(col => col.Hidden);
                            SetPrimaryKey(ctx, table, [.. c.Columns], c.Name ?? $"{table.Name}_pkey");
                            rewrite = true;
                            break;
                        case "unique":
                        {
                            var index = AddIndex(table, c.Name ?? IndexName(table, c.Columns, "key", planner.Catalog), c.Columns, true, true, stmt.Position);
                            if (!rewrite) Backfill(ctx, table, index);
                            break;
                        }
                        case "check":
                            table.Checks.Add(new CheckDescriptor { Name = c.Name ?? UniqueCheckName(table, table.Name), Expression = SqlText.Print(c.Check!) });
                            rewrite = true;
                            break;
                        default:
                        {
                            var key = DefineForeignKey(table, c.Name, c.Columns, c.References!, planner.Catalog, stmt.Position);
                            table.ForeignKeys.Add(key);
                            addedKeys.Add(key);
                            break;
                        }
                    }
                    break;
                case DropConstraint dc:
                {
                    var removed = table.Checks.RemoveAll(c => c.Name == dc.Name) + table.ForeignKeys.RemoveAll(f => f.Name == dc.Name);
                    var index = table.Indexes.Find(i => i.Name == dc.Name && i.IsConstraint);
                    if (index is not null)
                    {
                        table.Indexes.Remove(index);
                        DeleteRange(ctx, RowCodec.IndexPrefix(table.Id, index.Id), TupleEncoding.Strinc(RowCodec.IndexPrefix(table.Id, index.Id)));
                        removed++;
                    }
                    if (removed == 0 && !dc.IfExists)
                    {
                        throw new SqlException("42704", $"constraint \"{dc.Name}\" of relation \"{table.Name}\" does not exist", stmt.Position);
                    }
                    break;
                }
                case RenameTable rt:
                    if (planner.Catalog.NameTaken(table.Schema, rt.NewName)) throw new SqlException("42P07", $"relation \"{rt.NewName}\" already exists", stmt.Position);
                    table.Name = rt.NewName;
                    break;
                case RenameColumn rc:
                {
                    var column = table.FindColumn(rc.Column) ?? throw new SqlException("42703", $"column \"{rc.Column}\" does not exist", stmt.Position);
                    if (table.FindColumn(rc.NewName) is not null) throw new SqlException("42701", $"column \"{rc.NewName}\" of relation \"{table.Name}\" already exists", stmt.Position);
                    foreach (var check in table.Checks)
                    {
                        check.Expression = SqlText.Print(RenameInExpression(SqlParser.ParseExpression(check.Expression), rc.Column, rc.NewName));
                    }
                    column.Name = rc.NewName;
                    break;
                }
                case AlterColumn ac:
                {
                    var column = table.FindColumn(ac.Column) ?? throw new SqlException("42703", $"column \"{ac.Column}\" of relation \"{table.Name}\" does not exist", stmt.Position);
                    switch (ac.Change)
                    {
                        case "set default": column.Default = SqlText.Print(ac.Default!); break;
                        case "drop default": column.Default = null; break;
                        case "set not null": column.NotNull = true; rewrite = true; break;
                        case "drop not null":
                            if (table.PrimaryKey.Contains(column.Id)) throw new SqlException("42P16", $"column \"{column.Name}\" is in a primary key");
                            column.NotNull = false;
                            break;
                        case "type":
                        {
                            var type = Planner.ResolveType(ac.Type!, stmt.Position);
                            column.TypeId = type.Id;
                            column.Length = type.Length;
                            column.Precision = type.Precision;
                            column.Scale = type.Scale;
                            rewrite = true;
                            break;
                        }
                    }
                    break;
                }
            }
        }
        ValidateExpressions(table, planner);
        if (rewrite) Rewrite(ctx, oldTable, table, planner);
        foreach (var key in addedKeys)
        {
            var parent = key.ReferencedTableId == table.Id ? table : planner.Catalog.FindById(key.ReferencedTableId)!;
            ForeignKeys.ValidateExisting(ctx, table, key, parent);
        }
        Save(ctx.Tx, table);
        return new QueryResult("ALTER TABLE");
    }

    private static Expr RenameInExpression(Expr e, string from, string to) => e switch
    {
        ColumnRef c when c.Parts[^1] == from => c with { Parts = [.. c.Parts[..^1], to] },
        Binary b => b with { Left = RenameInExpression(b.Left, from, to), Right = RenameInExpression(b.Right, from, to) },
        Unary u => u with { Operand = RenameInExpression(u.Operand, from, to) },
        IsTest t => t with { Operand = RenameInExpression(t.Operand, from, to) },
        Between b => b with { Operand = RenameInExpression(b.Operand, from, to), Low = RenameInExpression(b.Low, from, to), High = RenameInExpression(b.High, from, to) },
        InList l => l with { Operand = RenameInExpression(l.Operand, from, to), Items = l.Items.Select(i => RenameInExpression(i, from, to)).ToArray() },
        FuncCall f => f with { Args = f.Args.Select(a => RenameInExpression(a, from, to)).ToArray() },
        Parser.Cast c => c with { Operand = RenameInExpression(c.Operand, from, to) },
        _ => e,
    };

    /// <summary>
    /// Rewrites every row from <paramref name="before"/>'s layout to <paramref name="after"/>'s (new primary key, new
    /// defaults, type changes), re-checking every constraint and rebuilding every index.
    /// </summary>
    private void Rewrite(ExecContext ctx, TableDescriptor before, TableDescriptor after, Planner planner)
    {
        var scan = new TableScanNode(before, before.Name, new KeyBounds(), null);
        var rows = scan.Run(ctx).ToList();
        // Each old row's key and index entries, computed from the row just read (no second scan of the table).
        var oldWriter = new TableWriter(before, []);
        foreach (var old in rows) oldWriter.Delete(ctx, old);
        var probe = new Planner(new Catalog.Catalog(planner.Catalog.Version, planner.Catalog.Schemas, planner.Catalog.Relations.Where(r => r.Id != after.Id).Append(after)), [], planner.VirtualCatalog);
        var defaults = BindDefaults(after, probe);
        var writer = new TableWriter(after, BindChecks(after, probe));
        var map = after.Columns.Select(c => before.Columns.FindIndex(b => b.Id == c.Id)).ToArray();
        foreach (var old in rows)
        {
            ctx.Check();
            var row = new object?[after.Columns.Count];
            for (var i = 0; i < row.Length; i++)
            {
                if (map[i] >= 0)
                {
                    row[i] = Values.Cast(old[map[i]], before.Columns[map[i]].Type, after.Columns[i].Type);
                }
                else if (defaults[i] is { } d)
                {
                    row[i] = d.Eval(ctx, []);
                }
            }
            writer.InsertChecked(ctx, row);
        }
    }
}
