using Tusk.Sql.Catalog;
using Tusk.Sql.Execution;

namespace Tusk.Sql;

/// <summary>A virtual relation: its columns and the rows it has for a session (computed when scanned).</summary>
internal sealed record CatalogTable(CatalogShape Shape, Func<VirtualCatalog, ExecContext, IEnumerable<object?[]>> Rows, bool IsView = false);

/// <summary>pg_catalog's relations, computed from the catalog snapshot the statement was bound against.</summary>
internal sealed partial class VirtualCatalog
{
    private static readonly CatalogShape Empty = new("");

    private static readonly CatalogShape NamespaceShape = new("oid:oid nspname:name nspowner:oid nspacl:arr");

    private static readonly CatalogShape ClassShape = new("""
        oid:oid relname:name relnamespace:oid reltype:oid reloftype:oid relowner:oid relam:oid relfilenode:oid reltablespace:oid
        relpages:int4 reltuples:float4 relallvisible:int4 reltoastrelid:oid relhasindex:bool relisshared:bool relpersistence:char
        relkind:char relnatts:int2 relchecks:int2 relhasrules:bool relhastriggers:bool relhassubclass:bool relrowsecurity:bool
        relforcerowsecurity:bool relispopulated:bool relreplident:char relispartition:bool relrewrite:oid relfrozenxid:xid
        relminmxid:xid relacl:arr reloptions:arr relpartbound:text
        """);

    private static readonly CatalogShape AttributeShape = new("""
        attrelid:oid attname:name atttypid:oid attlen:int2 attnum:int2 attcacheoff:int4 atttypmod:int4 attndims:int2 attbyval:bool
        attalign:char attstorage:char attcompression:char attnotnull:bool atthasdef:bool atthasmissing:bool attidentity:char
        attgenerated:char attisdropped:bool attislocal:bool attinhcount:int2 attstattarget:int2 attcollation:oid attacl:arr
        attoptions:arr attfdwoptions:arr attmissingval:arr
        """);

    private static readonly CatalogShape TypeShape = new("""
        oid:oid typname:name typnamespace:oid typowner:oid typlen:int2 typbyval:bool typtype:char typcategory:char
        typispreferred:bool typisdefined:bool typdelim:char typrelid:oid typsubscript:regproc typelem:oid typarray:oid
        typinput:regproc typoutput:regproc typreceive:regproc typsend:regproc typmodin:regproc typmodout:regproc
        typanalyze:regproc typalign:char typstorage:char typnotnull:bool typbasetype:oid typtypmod:int4 typndims:int4
        typcollation:oid typdefaultbin:text typdefault:text typacl:arr
        """);

    private static readonly CatalogShape IndexShape = new("""
        indexrelid:oid indrelid:oid indnatts:int2 indnkeyatts:int2 indisunique:bool indnullsnotdistinct:bool indisprimary:bool
        indisexclusion:bool indimmediate:bool indisclustered:bool indisvalid:bool indcheckxmin:bool indisready:bool indislive:bool
        indisreplident:bool indkey:arr indcollation:arr indclass:arr indoption:arr indexprs:text indpred:text
        """);

    private static readonly CatalogShape ConstraintShape = new("""
        oid:oid conname:name connamespace:oid contype:char condeferrable:bool condeferred:bool convalidated:bool conrelid:oid
        contypid:oid conindid:oid conparentid:oid confrelid:oid confupdtype:char confdeltype:char confmatchtype:char
        conislocal:bool coninhcount:int2 connoinherit:bool conkey:arr confkey:arr conpfeqop:arr conppeqop:arr conffeqop:arr
        confdelsetcols:arr conexclop:arr conbin:text
        """);

    private static readonly CatalogShape AttrDefShape = new("oid:oid adrelid:oid adnum:int2 adbin:text");

    private static readonly CatalogShape DatabaseShape = new("""
        oid:oid datname:name datdba:oid encoding:int4 datlocprovider:char datistemplate:bool datallowconn:bool datconnlimit:int4
        datfrozenxid:xid datminmxid:xid dattablespace:oid datcollate:text datctype:text daticulocale:text daticurules:text
        datcollversion:text datacl:arr
        """);

    private static readonly CatalogShape SettingsShape = new("""
        name:text setting:text unit:text category:text short_desc:text extra_desc:text context:text vartype:text source:text
        min_val:text max_val:text enumvals:arr boot_val:text reset_val:text sourcefile:text sourceline:int4 pending_restart:bool
        """);

    private static readonly CatalogShape RolesShape = new("""
        rolname:name rolsuper:bool rolinherit:bool rolcreaterole:bool rolcreatedb:bool rolcanlogin:bool rolreplication:bool
        rolconnlimit:int4 rolpassword:text rolvaliduntil:timestamptz rolbypassrls:bool rolconfig:arr oid:oid
        """);

    private static readonly CatalogShape UserShape = new("""
        usename:name usesysid:oid usecreatedb:bool usesuper:bool userepl:bool usebypassrls:bool passwd:text valuntil:timestamptz
        useconfig:arr
        """);

    private static readonly CatalogShape AuthIdShape = new("""
        oid:oid rolname:name rolsuper:bool rolinherit:bool rolcreaterole:bool rolcreatedb:bool rolcanlogin:bool
        rolreplication:bool rolbypassrls:bool rolconnlimit:int4 rolpassword:text rolvaliduntil:timestamptz
        """);

    private static readonly CatalogShape ProcShape = new("""
        oid:oid proname:name pronamespace:oid proowner:oid prolang:oid procost:float4 prorows:float4 provariadic:oid
        prosupport:regproc prokind:char prosecdef:bool proleakproof:bool proisstrict:bool proretset:bool provolatile:char
        proparallel:char pronargs:int2 pronargdefaults:int2 prorettype:oid proargtypes:arr proallargtypes:arr proargmodes:arr
        proargnames:arr proargdefaults:text protrftypes:arr prosrc:text probin:text prosqlbody:text proconfig:arr proacl:arr
        """);

    private static readonly CatalogShape StatActivityShape = new("""
        datid:oid datname:name pid:int4 leader_pid:int4 usesysid:oid usename:name application_name:text client_addr:text
        client_hostname:text client_port:int4 backend_start:timestamptz xact_start:timestamptz query_start:timestamptz
        state_change:timestamptz wait_event_type:text wait_event:text state:text backend_xid:xid backend_xmin:xid query_id:int8
        query:text backend_type:text
        """);

    private static readonly Dictionary<string, CatalogTable> PgCatalog = new(StringComparer.Ordinal)
    {
        ["pg_namespace"] = new(NamespaceShape, (v, _) => v.NamespaceRows()),
        ["pg_class"] = new(ClassShape, (v, _) => v.ClassRows()),
        ["pg_attribute"] = new(AttributeShape, (v, _) => v.AttributeRows()),
        ["pg_type"] = new(TypeShape, (_, _) => TypeRows()),
        ["pg_index"] = new(IndexShape, (v, _) => v.IndexRows()),
        ["pg_constraint"] = new(ConstraintShape, (v, _) => v.ConstraintRows()),
        ["pg_attrdef"] = new(AttrDefShape, (v, _) => v.AttrDefRows()),
        ["pg_database"] = new(DatabaseShape, (_, ctx) => DatabaseRows(ctx)),
        ["pg_settings"] = new(SettingsShape, (_, ctx) => SettingRows(ctx), IsView: true),
        ["pg_description"] = new(new("objoid:oid classoid:oid objsubid:int4 description:text"), (_, _) => []),
        ["pg_shdescription"] = new(new("objoid:oid classoid:oid description:text"), (_, _) => []),
        ["pg_roles"] = new(RolesShape, (_, ctx) => [RolesShape.Row(("rolname", User(ctx)), ("rolsuper", true), ("rolinherit", true), ("rolcreaterole", true),
            ("rolcreatedb", true), ("rolcanlogin", true), ("rolreplication", true), ("rolconnlimit", -1), ("rolpassword", "********"), ("rolbypassrls", true), ("oid", CatalogOids.BootstrapSuperuser))], IsView: true),
        ["pg_user"] = new(UserShape, (_, ctx) => [UserShape.Row(("usename", User(ctx)), ("usesysid", CatalogOids.BootstrapSuperuser), ("usecreatedb", true), ("usesuper", true),
            ("userepl", true), ("usebypassrls", true), ("passwd", "********"))], IsView: true),
        ["pg_authid"] = new(AuthIdShape, (_, ctx) => [AuthIdShape.Row(("oid", CatalogOids.BootstrapSuperuser), ("rolname", User(ctx)), ("rolsuper", true), ("rolinherit", true),
            ("rolcreaterole", true), ("rolcreatedb", true), ("rolcanlogin", true), ("rolreplication", true), ("rolbypassrls", true), ("rolconnlimit", -1))]),
        ["pg_am"] = new(new("oid:oid amname:name amhandler:regproc amtype:char"), (_, _) => AccessMethodRows()),
        ["pg_range"] = new(new("rngtypid:oid rngsubtype:oid rngmultitypid:oid rngcollation:oid rngsubopc:oid rngcanonical:regproc rngsubdiff:regproc"), (_, _) => []),
        ["pg_enum"] = new(new("oid:oid enumtypid:oid enumsortorder:float4 enumlabel:name"), (_, _) => []),
        ["pg_proc"] = new(ProcShape, (_, _) => ProcRows()),
        ["pg_collation"] = new(new("oid:oid collname:name collnamespace:oid collowner:oid collprovider:char collisdeterministic:bool collencoding:int4 collcollate:text collctype:text colliculocale:text collicurules:text collversion:text"),
            (_, _) => CollationRows()),
        ["pg_inherits"] = new(new("inhrelid:oid inhparent:oid inhseqno:int4 inhdetachpending:bool"), (_, _) => []),
        ["pg_tablespace"] = new(new("oid:oid spcname:name spcowner:oid spcacl:arr spcoptions:arr"), (_, _) => TablespaceRows()),
        ["pg_extension"] = new(new("oid:oid extname:name extowner:oid extnamespace:oid extrelocatable:bool extversion:text extconfig:arr extcondition:arr"), (_, _) => []),
        ["pg_sequence"] = new(new("seqrelid:oid seqtypid:oid seqstart:int8 seqincrement:int8 seqmax:int8 seqmin:int8 seqcache:int8 seqcycle:bool"), (v, _) => v.SequenceRows()),
        ["pg_stat_activity"] = new(StatActivityShape, (_, ctx) => StatActivityRows(ctx), IsView: true),
        ["pg_locks"] = new(new("locktype:text database:oid relation:oid page:int4 tuple:int2 virtualxid:text transactionid:xid classid:oid objid:oid objsubid:int2 virtualtransaction:text pid:int4 mode:text granted:bool fastpath:bool waitstart:timestamptz"), (_, _) => [], IsView: true),
        ["pg_trigger"] = new(new("oid:oid tgrelid:oid tgparentid:oid tgname:name tgfoid:oid tgtype:int2 tgenabled:char tgisinternal:bool tgconstrrelid:oid tgconstrindid:oid tgconstraint:oid tgdeferrable:bool tginitdeferred:bool tgnargs:int2 tgattr:arr tgargs:text tgqual:text tgoldtable:name tgnewtable:name"), (_, _) => []),
        ["pg_policy"] = new(new("oid:oid polname:name polrelid:oid polcmd:char polpermissive:bool polroles:arr polqual:text polwithcheck:text"), (_, _) => []),
        ["pg_rewrite"] = new(new("oid:oid rulename:name ev_class:oid ev_type:char ev_enabled:char is_instead:bool ev_qual:text ev_action:text"), (_, _) => []),
        ["pg_statistic_ext"] = new(new("oid:oid stxrelid:oid stxname:name stxnamespace:oid stxowner:oid stxstattarget:int4 stxkeys:arr stxkind:arr stxexprs:text"), (_, _) => []),
        ["pg_foreign_table"] = new(new("ftrelid:oid ftserver:oid ftoptions:arr"), (_, _) => []),
        ["pg_partitioned_table"] = new(new("partrelid:oid partstrat:char partnatts:int2 partdefid:oid partattrs:arr partclass:arr partcollation:arr partexprs:text"), (_, _) => []),
        ["pg_publication"] = new(new("oid:oid pubname:name pubowner:oid puballtables:bool pubinsert:bool pubupdate:bool pubdelete:bool pubtruncate:bool pubviaroot:bool"), (_, _) => []),
        ["pg_publication_rel"] = new(new("oid:oid prpubid:oid prrelid:oid prqual:text prattrs:arr"), (_, _) => []),
        ["pg_publication_namespace"] = new(new("oid:oid pnpubid:oid pnnspid:oid"), (_, _) => []),
        ["pg_depend"] = new(new("classid:oid objid:oid objsubid:int4 refclassid:oid refobjid:oid refobjsubid:int4 deptype:char"), (_, _) => []),
        ["pg_auth_members"] = new(new("oid:oid roleid:oid member:oid grantor:oid admin_option:bool inherit_option:bool set_option:bool"), (_, _) => []),
        ["pg_language"] = new(new("oid:oid lanname:name lanowner:oid lanispl:bool lanpltrusted:bool lanplcallfoid:oid laninline:oid lanvalidator:oid lanacl:arr"), (_, _) => LanguageRows()),
        ["pg_opclass"] = new(new("oid:oid opcmethod:oid opcname:name opcnamespace:oid opcowner:oid opcfamily:oid opcintype:oid opcdefault:bool opckeytype:oid"), (_, _) => []),
        ["pg_stat_user_tables"] = new(new("relid:oid schemaname:name relname:name seq_scan:int8 n_live_tup:int8 n_dead_tup:int8"), (v, _) => v.StatUserTableRows(), IsView: true),
        ["pg_tables"] = new(new("schemaname:name tablename:name tableowner:name tablespace:name hasindexes:bool hasrules:bool hastriggers:bool rowsecurity:bool"), (v, ctx) => v.TablesViewRows(ctx), IsView: true),
        ["pg_views"] = new(new("schemaname:name viewname:name viewowner:name definition:text"), (v, ctx) => v.ViewsViewRows(ctx), IsView: true),
        ["pg_indexes"] = new(new("schemaname:name tablename:name indexname:name tablespace:name indexdef:text"), (v, _) => v.IndexesViewRows(), IsView: true),
        ["pg_sequences"] = new(new("schemaname:name sequencename:name sequenceowner:name data_type:text start_value:int8 min_value:int8 max_value:int8 increment_by:int8 cycle:bool cache_size:int8 last_value:int8"), (v, ctx) => v.SequencesViewRows(ctx), IsView: true),
        ["pg_matviews"] = new(new("schemaname:name matviewname:name matviewowner:name tablespace:name hasindexes:bool ispopulated:bool definition:text"), (_, _) => [], IsView: true),
        ["pg_event_trigger"] = new(new("oid:oid evtname:name evtevent:name evtowner:oid evtfoid:oid evtenabled:char evttags:arr"), (_, _) => []),
        ["pg_cast"] = new(new("oid:oid castsource:oid casttarget:oid castfunc:oid castcontext:char castmethod:char"), (_, _) => []),
        ["pg_operator"] = new(new("oid:oid oprname:name oprnamespace:oid oprowner:oid oprkind:char oprcanmerge:bool oprcanhash:bool oprleft:oid oprright:oid oprresult:oid oprcom:oid oprnegate:oid oprcode:regproc oprrest:regproc oprjoin:regproc"), (_, _) => []),
    };

    private static string User(ExecContext ctx) => ctx.Session?.User ?? "tusk";

    private IEnumerable<object?[]> NamespaceRows()
    {
        yield return NamespaceShape.Row(("oid", CatalogOids.PgCatalogNamespace), ("nspname", "pg_catalog"), ("nspowner", CatalogOids.BootstrapSuperuser));
        yield return NamespaceShape.Row(("oid", CatalogOids.PgToastNamespace), ("nspname", "pg_toast"), ("nspowner", CatalogOids.BootstrapSuperuser));
        yield return NamespaceShape.Row(("oid", CatalogOids.PublicNamespace), ("nspname", "public"), ("nspowner", CatalogOids.BootstrapSuperuser));
        yield return NamespaceShape.Row(("oid", CatalogOids.InformationSchemaNamespace), ("nspname", "information_schema"), ("nspowner", CatalogOids.BootstrapSuperuser));
        foreach (var (name, _) in catalog.Schemas.Where(s => s.Key != "public").OrderBy(s => s.Value))
        {
            yield return NamespaceShape.Row(("oid", CatalogOids.Namespace(catalog, name)), ("nspname", name), ("nspowner", CatalogOids.BootstrapSuperuser));
        }
    }

    private IEnumerable<object?[]> ClassRows()
    {
        foreach (var r in Relations)
        {
            var t = r.Table;
            var isTable = r.Kind == "r" && t is not null;
            var columns = r.Virtual?.Columns.Length ?? (r.Index is { } index ? index.ColumnIds.Length : r.Kind == "S" ? 3 : t!.VisibleColumns.Count());
            yield return ClassShape.Row(
                ("oid", r.Oid), ("relname", r.Name), ("relnamespace", r.Namespace), ("relowner", CatalogOids.BootstrapSuperuser),
                ("relam", r.Kind switch { "r" or "S" => CatalogOids.HeapAccessMethod, "i" => CatalogOids.BtreeAccessMethod, _ => 0L }),
                ("relfilenode", r.Kind == "v" ? 0L : r.Oid), ("reltuples", -1f), ("relpersistence", "p"), ("relkind", r.Kind),
                ("relnatts", (short)columns), ("relchecks", (short)(isTable ? t!.Checks.Count : 0)),
                ("relhasindex", isTable && (t!.PrimaryKeyName is not null || t.Indexes.Count > 0)),
                ("relispopulated", true), ("relreplident", r.Kind == "r" ? "d" : "n"));
        }
    }

    private IEnumerable<object?[]> AttributeRows()
    {
        foreach (var r in Relations)
        {
            if (r.Virtual is { } shape)
            {
                for (var i = 0; i < shape.Columns.Length; i++) yield return Attribute(r.Oid, shape.Columns[i].Name, shape.Columns[i].Type, i + 1, false, false);
                continue;
            }
            var t = r.Table!;
            if (r.Index is { } index)
            {
                for (var i = 0; i < index.ColumnIds.Length; i++)
                {
                    var column = t.Columns[t.ColumnIndex(index.ColumnIds[i])];
                    yield return Attribute(r.Oid, column.Name, column.Type, i + 1, false, false);
                }
                continue;
            }
            if (r.Kind == "S")
            {
                yield return Attribute(r.Oid, "last_value", Types.SqlType.Int8, 1, true, false);
                yield return Attribute(r.Oid, "log_cnt", Types.SqlType.Int8, 2, true, false);
                yield return Attribute(r.Oid, "is_called", Types.SqlType.Bool, 3, true, false);
                continue;
            }
            for (var i = 0; i < t.Columns.Count; i++)
            {
                var c = t.Columns[i];
                if (c.Hidden) continue;
                yield return Attribute(r.Oid, c.Name, c.Type, i + 1, c.NotNull, c.Default is not null && !IsIdentity(c), IsIdentity(c) ? "a" : "");
            }
        }
    }

    /// <summary>GENERATED ... AS IDENTITY (serial columns show their nextval default instead).</summary>
    private static bool IsIdentity(ColumnDescriptor c) => c.IdentityAlways;

    private static object?[] Attribute(long relation, string name, Types.SqlType type, int number, bool notNull, bool hasDefault, string identity = "")
    {
        var builtin = CatalogTypes.Find(type.Oid);
        return AttributeShape.Row(
            ("attrelid", relation), ("attname", name), ("atttypid", (long)type.Oid), ("attlen", type.Size), ("attnum", (short)number),
            ("attcacheoff", -1), ("atttypmod", type.TypeModifier), ("attbyval", builtin?.ByValue ?? false), ("attalign", builtin?.Align ?? "i"),
            ("attstorage", builtin?.Storage ?? "x"), ("attnotnull", notNull), ("atthasdef", hasDefault), ("attidentity", identity), ("attislocal", true),
            ("attstattarget", (short)-1), ("attcollation", builtin?.Collation ?? 0L));
    }

    private static IEnumerable<object?[]> TypeRows()
    {
        foreach (var t in CatalogTypes.All)
        {
            var io = CatalogTypes.IoFunctions(t);
            yield return TypeShape.Row(
                ("oid", t.Oid), ("typname", t.Name), ("typnamespace", CatalogOids.PgCatalogNamespace), ("typowner", CatalogOids.BootstrapSuperuser),
                ("typlen", t.Length), ("typbyval", t.ByValue), ("typtype", t.Kind), ("typcategory", t.Category), ("typispreferred", t.Preferred),
                ("typisdefined", true), ("typdelim", ","), ("typelem", t.Element), ("typarray", t.Array), ("typinput", io.Input),
                ("typoutput", io.Output), ("typreceive", io.Receive), ("typsend", io.Send), ("typalign", t.Align), ("typstorage", t.Storage),
                ("typtypmod", -1), ("typcollation", t.Collation));
        }
    }

    private IEnumerable<object?[]> IndexRows()
    {
        foreach (var r in Relations)
        {
            if (r.Index is not { } index) continue;
            var t = r.Table!;
            var keys = string.Join(' ', index.ColumnIds.Select(id => t.ColumnIndex(id) + 1));
            yield return IndexShape.Row(
                ("indexrelid", r.Oid), ("indrelid", t.Oid), ("indnatts", (short)index.ColumnIds.Length), ("indnkeyatts", (short)index.ColumnIds.Length),
                ("indisunique", index.Unique), ("indisprimary", index.Id == TableDescriptor.PrimaryIndexId), ("indimmediate", true),
                ("indisvalid", true), ("indisready", true), ("indislive", true), ("indkey", keys),
                ("indoption", string.Join(' ', index.Descending.Select(d => d ? 3 : 0))));
        }
    }

    /// <summary>Primary key, unique, check and foreign key constraints of user tables, in that order.</summary>
    private IEnumerable<(long Oid, string Name, string Kind, TableDescriptor Table, IndexDescriptor? Index, CheckDescriptor? Check, ForeignKeyDescriptor? ForeignKey)> Constraints()
    {
        foreach (var r in Relations)
        {
            if (r.Index is { IsConstraint: true } index)
            {
                yield return (CatalogOids.Encode(r.Table!.Id, CatalogOids.ConstraintKind + index.Id), index.Name,
                    index.Id == TableDescriptor.PrimaryIndexId ? "p" : "u", r.Table, index, null, null);
            }
            if (r.Kind == "r" && r.Table is { } t)
            {
                for (var i = 0; i < t.Checks.Count; i++) yield return (CatalogOids.Encode(t.Id, CatalogOids.CheckKind + i), t.Checks[i].Name, "c", t, null, t.Checks[i], null);
                for (var i = 0; i < t.ForeignKeys.Count; i++)
                {
                    if (catalog.FindById(t.ForeignKeys[i].ReferencedTableId) is null) continue;
                    yield return (CatalogOids.Encode(t.Id, CatalogOids.ForeignKeyKind + i), t.ForeignKeys[i].Name, "f", t, null, null, t.ForeignKeys[i]);
                }
            }
        }
    }

    /// <summary>pg_constraint's one-letter referential actions.</summary>
    private static string ActionCode(string action) => action switch
    {
        "restrict" => "r",
        "cascade" => "c",
        "set null" => "n",
        "set default" => "d",
        _ => "a",
    };

    private static string AttNums(TableDescriptor table, int[] columnIds) => "{" + string.Join(',', columnIds.Select(id => table.ColumnIndex(id) + 1)) + "}";

    private IEnumerable<object?[]> ConstraintRows()
    {
        foreach (var c in Constraints())
        {
            var keys = c.Index is { } index ? AttNums(c.Table, index.ColumnIds) : c.ForeignKey is { } fk ? AttNums(c.Table, fk.ColumnIds) : null;
            var parent = c.ForeignKey is { } f ? catalog.FindById(f.ReferencedTableId) : null;
            yield return ConstraintShape.Row(
                ("oid", c.Oid), ("conname", c.Name), ("connamespace", CatalogOids.Namespace(catalog, c.Table.Schema)), ("contype", c.Kind),
                ("convalidated", true), ("conrelid", c.Table.Oid), ("conindid", c.Index is null ? 0L : CatalogOids.Encode(c.Table.Id, c.Index.Id)),
                ("confrelid", parent is null ? 0L : (long)parent.Oid),
                ("confupdtype", c.ForeignKey is { } u ? ActionCode(u.OnUpdate) : " "), ("confdeltype", c.ForeignKey is { } d ? ActionCode(d.OnDelete) : " "),
                ("confmatchtype", c.ForeignKey is null ? " " : "s"), ("conislocal", true), ("connoinherit", c.Kind == "p"),
                ("conkey", keys), ("confkey", parent is null ? null : AttNums(parent, c.ForeignKey!.ReferencedColumnIds)), ("conbin", c.Check?.Expression));
        }
    }

    private IEnumerable<object?[]> AttrDefRows()
    {
        foreach (var t in catalog.Relations.Where(t => t.Kind == RelationKind.Table).OrderBy(t => t.Id))
        {
            for (var i = 0; i < t.Columns.Count; i++)
            {
                var c = t.Columns[i];
                if (c.Hidden || c.Default is null || IsIdentity(c)) continue;
                yield return AttrDefShape.Row(("oid", CatalogOids.Encode(t.Id, CatalogOids.DefaultKind + i)), ("adrelid", t.Oid), ("adnum", (short)(i + 1)), ("adbin", c.Default));
            }
        }
    }

    private static IEnumerable<object?[]> DatabaseRows(ExecContext ctx)
    {
        yield return DatabaseShape.Row(
            ("oid", CatalogOids.Database), ("datname", ctx.Session?.Database ?? "tusk"), ("datdba", CatalogOids.BootstrapSuperuser), ("encoding", 6),
            ("datlocprovider", "c"), ("datallowconn", true), ("datconnlimit", -1), ("dattablespace", CatalogOids.DefaultTablespace),
            ("datcollate", "C"), ("datctype", "C"));
    }

    private static IEnumerable<object?[]> SettingRows(ExecContext ctx)
    {
        foreach (var name in Settings.KnownNames.Order(StringComparer.Ordinal))
        {
            var value = ctx.Session?.Settings.Get(name);
            yield return SettingsShape.Row(("name", name), ("setting", value), ("category", "Ungrouped"), ("context", "user"), ("vartype", "string"),
                ("source", "default"), ("boot_val", value), ("reset_val", value), ("pending_restart", false));
        }
    }

    private static IEnumerable<object?[]> AccessMethodRows()
    {
        var shape = PgCatalog["pg_am"].Shape;
        yield return shape.Row(("oid", CatalogOids.HeapAccessMethod), ("amname", "heap"), ("amtype", "t"));
        yield return shape.Row(("oid", CatalogOids.BtreeAccessMethod), ("amname", "btree"), ("amtype", "i"));
        yield return shape.Row(("oid", 405L), ("amname", "hash"), ("amtype", "i"));
    }

    private static IEnumerable<object?[]> ProcRows()
    {
        foreach (var (oid, name, argument, result) in CatalogTypes.Functions)
        {
            yield return ProcShape.Row(
                ("oid", oid), ("proname", name), ("pronamespace", CatalogOids.PgCatalogNamespace), ("proowner", CatalogOids.BootstrapSuperuser),
                ("prolang", 12L), ("procost", 1f), ("prokind", "f"), ("proisstrict", true), ("provolatile", "i"), ("proparallel", "s"),
                ("pronargs", (short)1), ("prorettype", result), ("proargtypes", argument.ToString(System.Globalization.CultureInfo.InvariantCulture)), ("prosrc", name));
        }
    }

    private static IEnumerable<object?[]> CollationRows()
    {
        var shape = PgCatalog["pg_collation"].Shape;
        foreach (var (oid, name, provider) in new[] { (CatalogOids.DefaultCollation, "default", "d"), (950L, "C", "c"), (951L, "POSIX", "c") })
        {
            yield return shape.Row(("oid", oid), ("collname", name), ("collnamespace", CatalogOids.PgCatalogNamespace), ("collowner", CatalogOids.BootstrapSuperuser),
                ("collprovider", provider), ("collisdeterministic", true), ("collencoding", -1), ("collcollate", provider == "d" ? null : name), ("collctype", provider == "d" ? null : name));
        }
    }

    private static IEnumerable<object?[]> TablespaceRows()
    {
        var shape = PgCatalog["pg_tablespace"].Shape;
        yield return shape.Row(("oid", CatalogOids.DefaultTablespace), ("spcname", "pg_default"), ("spcowner", CatalogOids.BootstrapSuperuser));
        yield return shape.Row(("oid", 1664L), ("spcname", "pg_global"), ("spcowner", CatalogOids.BootstrapSuperuser));
    }

    private static IEnumerable<object?[]> LanguageRows()
    {
        var shape = PgCatalog["pg_language"].Shape;
        yield return shape.Row(("oid", 12L), ("lanname", "internal"), ("lanowner", CatalogOids.BootstrapSuperuser));
        yield return shape.Row(("oid", 14L), ("lanname", "sql"), ("lanowner", CatalogOids.BootstrapSuperuser), ("lanpltrusted", true));
    }

    private IEnumerable<object?[]> SequenceRows()
    {
        var shape = PgCatalog["pg_sequence"].Shape;
        foreach (var r in Relations.Where(r => r.SequenceColumn is not null))
        {
            var type = r.SequenceColumn!.Type;
            var max = type.Id switch { Types.SqlTypeId.Int2 => short.MaxValue, Types.SqlTypeId.Int4 => int.MaxValue, _ => long.MaxValue };
            yield return shape.Row(("seqrelid", r.Oid), ("seqtypid", (long)type.Oid), ("seqstart", 1L), ("seqincrement", 1L), ("seqmax", max), ("seqmin", 1L), ("seqcache", 1L));
        }
    }

    private static IEnumerable<object?[]> StatActivityRows(ExecContext ctx)
    {
        var now = ctx.Functions.TransactionTimestamp;
        yield return StatActivityShape.Row(
            ("datid", CatalogOids.Database), ("datname", ctx.Session?.Database ?? "tusk"), ("pid", ctx.Session?.Id ?? 0),
            ("usesysid", CatalogOids.BootstrapSuperuser), ("usename", User(ctx)), ("application_name", ctx.Session?.Settings.Get("application_name") ?? ""),
            ("client_port", -1), ("backend_start", now), ("xact_start", now), ("query_start", now), ("state_change", now), ("state", "active"),
            ("backend_type", "client backend"));
    }

    private IEnumerable<object?[]> StatUserTableRows()
    {
        var shape = PgCatalog["pg_stat_user_tables"].Shape;
        foreach (var r in Relations.Where(r => r.Kind == "r" && r.Table is not null))
        {
            yield return shape.Row(("relid", r.Oid), ("schemaname", r.Schema), ("relname", r.Name));
        }
    }

    private IEnumerable<object?[]> TablesViewRows(ExecContext ctx)
    {
        var shape = PgCatalog["pg_tables"].Shape;
        foreach (var r in Relations.Where(r => r.Kind == "r"))
        {
            yield return shape.Row(("schemaname", r.Schema), ("tablename", r.Name), ("tableowner", User(ctx)),
                ("hasindexes", r.Table is { } t && (t.PrimaryKeyName is not null || t.Indexes.Count > 0)));
        }
    }

    private IEnumerable<object?[]> ViewsViewRows(ExecContext ctx)
    {
        var shape = PgCatalog["pg_views"].Shape;
        foreach (var r in Relations.Where(r => r.Kind == "v" && r.Table is not null))
        {
            yield return shape.Row(("schemaname", r.Schema), ("viewname", r.Name), ("viewowner", User(ctx)), ("definition", r.Table!.ViewQuery));
        }
    }

    private IEnumerable<object?[]> IndexesViewRows()
    {
        var shape = PgCatalog["pg_indexes"].Shape;
        foreach (var r in Relations.Where(r => r.Index is not null))
        {
            yield return shape.Row(("schemaname", r.Schema), ("tablename", r.Table!.Name), ("indexname", r.Name), ("indexdef", IndexDefinition(r, 0)));
        }
    }

    private IEnumerable<object?[]> SequencesViewRows(ExecContext ctx)
    {
        var shape = PgCatalog["pg_sequences"].Shape;
        foreach (var r in Relations.Where(r => r.SequenceColumn is not null))
        {
            yield return shape.Row(("schemaname", r.Schema), ("sequencename", r.Name), ("sequenceowner", User(ctx)), ("data_type", r.SequenceColumn!.Type.Name),
                ("start_value", 1L), ("min_value", 1L), ("max_value", long.MaxValue), ("increment_by", 1L), ("cache_size", 1L));
        }
    }
}
