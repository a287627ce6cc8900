using Tusk.Sql.Tests.Engine;
using Xunit;

namespace Tusk.Sql.Tests.Catalog;

/// <summary>
/// psql 15's \d family against Tusk: the query texts below are what psql 15 sends (psql -E) to a server of
/// version 16 (src/bin/psql/describe.c, REL_15_STABLE), with the OIDs it interpolates.
/// </summary>
public sealed class PsqlDescribeTests : IDisposable
{
    private readonly SqlTestDatabase _db = new();

    public PsqlDescribeTests()
    {
        _db.Run("""
            CREATE TABLE t (id serial PRIMARY KEY, name varchar(40) NOT NULL DEFAULT 'x', price numeric(10,2), CHECK (price > 0));
            CREATE UNIQUE INDEX t_name_key ON t (name);
            CREATE INDEX t_price_idx ON t (price DESC);
            CREATE TABLE plain (a int, b text);
            CREATE VIEW v AS SELECT id, name FROM t;
            """);
    }

    public void Dispose() => _db.Dispose();

    private string Oid(string table) => _db.Query($"SELECT c.oid FROM pg_catalog.pg_class c WHERE c.relname = '{table}'");

    [Fact]
    public void ListRelations()  // \d
    {
        var rows = _db.Query("""
            SELECT n.nspname as "Schema",
              c.relname as "Name",
              CASE c.relkind WHEN 'r' THEN 'table' WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view' WHEN 'i' THEN 'index' WHEN 'S' THEN 'sequence' WHEN 't' THEN 'TOAST table' WHEN 'f' THEN 'foreign table' WHEN 'p' THEN 'partitioned table' WHEN 'I' THEN 'partitioned index' END as "Type",
              pg_catalog.pg_get_userbyid(c.relowner) as "Owner"
            FROM pg_catalog.pg_class c
                 LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                 LEFT JOIN pg_catalog.pg_am am ON am.oid = c.relam
            WHERE c.relkind IN ('r','p','v','m','S','f','')
                  AND n.nspname <> 'pg_catalog'
                  AND n.nspname !~ '^pg_toast'
                  AND n.nspname <> 'information_schema'
              AND pg_catalog.pg_table_is_visible(c.oid)
            ORDER BY 1,2;
            """);
        Assert.Equal("public|plain|table|tusk\npublic|t|table|tusk\npublic|t_id_seq|sequence|tusk\npublic|v|view|tusk", rows);
    }

    [Fact]
    public void ListTables()  // \dt
    {
        var rows = _db.Query("""
            SELECT n.nspname as "Schema",
              c.relname as "Name",
              CASE c.relkind WHEN 'r' THEN 'table' WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view' WHEN 'i' THEN 'index' WHEN 'S' THEN 'sequence' WHEN 't' THEN 'TOAST table' WHEN 'f' THEN 'foreign table' WHEN 'p' THEN 'partitioned table' WHEN 'I' THEN 'partitioned index' END as "Type",
              pg_catalog.pg_get_userbyid(c.relowner) as "Owner"
            FROM pg_catalog.pg_class c
                 LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                 LEFT JOIN pg_catalog.pg_am am ON am.oid = c.relam
            WHERE c.relkind IN ('r','p','')
                  AND n.nspname <> 'pg_catalog'
                  AND n.nspname !~ '^pg_toast'
                  AND n.nspname <> 'information_schema'
              AND pg_catalog.pg_table_is_visible(c.oid)
            ORDER BY 1,2;
            """);
        Assert.Equal("public|plain|table|tusk\npublic|t|table|tusk", rows);
    }

    [Fact]
    public void ListIndexes()  // \di
    {
        var rows = _db.Query("""
            SELECT n.nspname as "Schema",
              c.relname as "Name",
              CASE c.relkind WHEN 'r' THEN 'table' WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view' WHEN 'i' THEN 'index' WHEN 'S' THEN 'sequence' WHEN 't' THEN 'TOAST table' WHEN 'f' THEN 'foreign table' WHEN 'p' THEN 'partitioned table' WHEN 'I' THEN 'partitioned index' END as "Type",
              pg_catalog.pg_get_userbyid(c.relowner) as "Owner",
             c2.relname as "Table"
            FROM pg_catalog.pg_class c
                 LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                 LEFT JOIN pg_catalog.pg_am am ON am.oid = c.relam
                 LEFT JOIN pg_catalog.pg_index i ON i.indexrelid = c.oid
                 LEFT JOIN pg_catalog.pg_class c2 ON i.indrelid = c2.oid
            WHERE c.relkind IN ('i','I','')
                  AND n.nspname <> 'pg_catalog'
                  AND n.nspname !~ '^pg_toast'
                  AND n.nspname <> 'information_schema'
              AND pg_catalog.pg_table_is_visible(c.oid)
            ORDER BY 1,2;
            """);
        Assert.Equal("public|t_name_key|index|tusk|t\npublic|t_pkey|index|tusk|t\npublic|t_price_idx|index|tusk|t", rows);
    }

    [Fact]
    public void ListSchemas()  // \dn
    {
        var rows = _db.Query("""
            SELECT n.nspname AS "Name",
              pg_catalog.pg_get_userbyid(n.nspowner) AS "Owner"
            FROM pg_catalog.pg_namespace n
            WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'
            ORDER BY 1;
            """);
        Assert.Equal("public|tusk", rows);
    }

    [Fact]
    public void ListDatabases()  // \l
    {
        var rows = _db.Query("""
            SELECT
              d.datname as "Name",
              pg_catalog.pg_get_userbyid(d.datdba) as "Owner",
              pg_catalog.pg_encoding_to_char(d.encoding) as "Encoding",
              d.datcollate as "Collate",
              d.datctype as "Ctype",
              d.daticulocale as "ICU Locale",
              CASE d.datlocprovider WHEN 'c' THEN 'libc' WHEN 'i' THEN 'icu' END AS "Locale Provider",
              pg_catalog.array_to_string(d.datacl, E'\n') AS "Access privileges"
            FROM pg_catalog.pg_database d
            ORDER BY 1;
            """);
        Assert.Equal("tusk|tusk|UTF8|C|C|NULL|libc|NULL", rows);
    }

    [Fact]
    public void DescribeTable()  // \d t: every query psql 15 sends for a table, in order
    {
        var lookup = _db.Query("""
            SELECT c.oid,
              n.nspname,
              c.relname
            FROM pg_catalog.pg_class c
                 LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relname OPERATOR(pg_catalog.~) '^(t)$' COLLATE pg_catalog.default
              AND pg_catalog.pg_table_is_visible(c.oid)
            ORDER BY 2, 3;
            """);
        var oid = Oid("t");
        Assert.Equal($"{oid}|public|t", lookup);

        var info = _db.Query($"""
            SELECT c.relchecks, c.relkind, c.relhasindex, c.relhasrules, c.relhastriggers, c.relrowsecurity, c.relforcerowsecurity, false AS relhasoids, c.relispartition, '', c.reltablespace, CASE WHEN c.reloftype = 0 THEN '' ELSE c.reloftype::pg_catalog.regtype::pg_catalog.text END, c.relpersistence, c.relreplident, am.amname
            FROM pg_catalog.pg_class c
             LEFT JOIN pg_catalog.pg_class tc ON (c.reltoastrelid = tc.oid)
            LEFT JOIN pg_catalog.pg_am am ON (c.relam = am.oid)
            WHERE c.oid = '{oid}';
            """);
        Assert.Equal("1|r|t|f|f|f|f|f|f||0||p|d|heap", info);

        var columns = _db.Query($"""
            SELECT a.attname,
              pg_catalog.format_type(a.atttypid, a.atttypmod),
              (SELECT pg_catalog.pg_get_expr(d.adbin, d.adrelid, true)
               FROM pg_catalog.pg_attrdef d
               WHERE d.adrelid = a.attrelid AND d.adnum = a.attnum AND a.atthasdef),
              a.attnotnull,
              (SELECT c.collname FROM pg_catalog.pg_collation c, pg_catalog.pg_type t
               WHERE c.oid = a.attcollation AND t.oid = a.atttypid AND a.attcollation <> t.typcollation) AS attcollation,
              a.attidentity,
              a.attgenerated
            FROM pg_catalog.pg_attribute a
            WHERE a.attrelid = '{oid}' AND a.attnum > 0 AND NOT a.attisdropped
            ORDER BY a.attnum;
            """);
        Assert.Equal("id|integer|nextval('t_id_seq')|t|NULL||\nname|character varying(40)|'x'|t|NULL||\nprice|numeric(10,2)|NULL|f|NULL||", columns);

        var indexes = _db.Query($"""
            SELECT c2.relname, i.indisprimary, i.indisunique, i.indisclustered, i.indisvalid, pg_catalog.pg_get_indexdef(i.indexrelid, 0, true),
              pg_catalog.pg_get_constraintdef(con.oid, true), contype, condeferrable, condeferred, i.indisreplident, c2.reltablespace
            FROM pg_catalog.pg_class c, pg_catalog.pg_class c2, pg_catalog.pg_index i
              LEFT JOIN pg_catalog.pg_constraint con ON (conrelid = i.indrelid AND conindid = i.indexrelid AND contype IN ('p','u','x'))
            WHERE c.oid = '{oid}' AND c.oid = i.indrelid AND i.indexrelid = c2.oid
            ORDER BY i.indisprimary DESC, c2.relname;
            """);
        Assert.Equal(
            "t_pkey|t|t|f|t|CREATE UNIQUE INDEX t_pkey ON public.t USING btree (id)|PRIMARY KEY (id)|p|f|f|f|0\n" +
            "t_name_key|f|t|f|t|CREATE UNIQUE INDEX t_name_key ON public.t USING btree (name)|NULL|NULL|NULL|NULL|f|0\n" +
            "t_price_idx|f|f|f|t|CREATE INDEX t_price_idx ON public.t USING btree (price DESC)|NULL|NULL|NULL|NULL|f|0", indexes);

        var checks = _db.Query($"""
            SELECT r.conname, pg_catalog.pg_get_constraintdef(r.oid, true)
            FROM pg_catalog.pg_constraint r
            WHERE r.conrelid = '{oid}' AND r.contype = 'c'
            ORDER BY 1;
            """);
        Assert.Equal("t_check|CHECK ((price > 0))", checks);

        var policies = _db.Query($$"""
            SELECT pol.polname, pol.polpermissive,
              CASE WHEN pol.polroles = '{0}' THEN NULL ELSE pg_catalog.array_to_string(array(select rolname from pg_catalog.pg_roles where oid = any (pol.polroles) order by 1),',') END,
              pg_catalog.pg_get_expr(pol.polqual, pol.polrelid),
              pg_catalog.pg_get_expr(pol.polwithcheck, pol.polrelid),
              CASE pol.polcmd
                WHEN 'r' THEN 'SELECT'
                WHEN 'a' THEN 'INSERT'
                WHEN 'w' THEN 'UPDATE'
                WHEN 'd' THEN 'DELETE'
                END AS cmd
            FROM pg_catalog.pg_policy pol
            WHERE pol.polrelid = '{{oid}}' ORDER BY 1;
            """);
        Assert.Equal("", policies);

        var statistics = _db.Query($"""
            SELECT oid, stxrelid::pg_catalog.regclass, stxnamespace::pg_catalog.regnamespace::pg_catalog.text AS nsp, stxname,
            pg_catalog.pg_get_statisticsobjdef_columns(oid) AS columns,
              'd' = any(stxkind) AS ndist_enabled,
              'f' = any(stxkind) AS deps_enabled,
              'm' = any(stxkind) AS mcv_enabled,
            stxstattarget
            FROM pg_catalog.pg_statistic_ext
            WHERE stxrelid = '{oid}'
            ORDER BY nsp, stxname;
            """);
        Assert.Equal("", statistics);

        var publications = _db.Query($"""
            SELECT pubname
                 , NULL
                 , NULL
            FROM pg_catalog.pg_publication p
                 JOIN pg_catalog.pg_publication_namespace pn ON p.oid = pn.pnpubid
                 JOIN pg_catalog.pg_class pc ON pc.relnamespace = pn.pnnspid
            WHERE pc.oid ='{oid}' and pg_catalog.pg_relation_is_publishable('{oid}')
            UNION
            SELECT pubname
                 , pg_get_expr(pr.prqual, c.oid)
                 , (CASE WHEN pr.prattrs IS NOT NULL THEN
                     (SELECT string_agg(attname, ', ')
                       FROM pg_catalog.generate_series(0, pg_catalog.array_upper(pr.prattrs::pg_catalog.int2[], 1)) s,
                            pg_catalog.pg_attribute
                      WHERE attrelid = pr.prrelid AND attnum = prattrs[s])
                    ELSE NULL END) FROM pg_catalog.pg_publication p
                 JOIN pg_catalog.pg_publication_rel pr ON p.oid = pr.prpubid
                 JOIN pg_catalog.pg_class c ON c.oid = pr.prrelid
            WHERE pr.prrelid = '{oid}'
            UNION
            SELECT pubname
                 , NULL
                 , NULL
            FROM pg_catalog.pg_publication p
            WHERE p.puballtables AND pg_catalog.pg_relation_is_publishable('{oid}')
            ORDER BY 1;
            """);
        Assert.Equal("", publications);

        var inherits = _db.Query($"""
            SELECT c.oid::pg_catalog.regclass
            FROM pg_catalog.pg_class c, pg_catalog.pg_inherits i
            WHERE c.oid = i.inhparent AND i.inhrelid = '{oid}'
              AND c.relkind != 'p' AND c.relkind != 'I'
            ORDER BY inhseqno;
            """);
        Assert.Equal("", inherits);

        var children = _db.Query($"""
            SELECT c.oid::pg_catalog.regclass, c.relkind, inhdetachpending, pg_catalog.pg_get_expr(c.relpartbound, c.oid)
            FROM pg_catalog.pg_class c, pg_catalog.pg_inherits i
            WHERE c.oid = i.inhrelid AND i.inhparent = '{oid}'
            ORDER BY pg_catalog.pg_get_expr(c.relpartbound, c.oid) = 'DEFAULT', c.oid::pg_catalog.regclass::pg_catalog.text;
            """);
        Assert.Equal("", children);
    }

    [Fact]
    public void DescribeView()  // \d v: the view's definition footer
    {
        var oid = Oid("v");
        Assert.Equal("v", _db.Query($"SELECT c.relkind FROM pg_catalog.pg_class c WHERE c.oid = '{oid}'"));
        var definition = _db.Query($"SELECT pg_catalog.pg_get_viewdef('{oid}'::pg_catalog.oid, true);");
        Assert.Contains("SELECT", definition, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void DescribeIndex()  // \d t_pkey: the index footer
    {
        var oid = Oid("t_pkey");
        var footer = _db.Query($"""
            SELECT i.indisunique, i.indisprimary, i.indisclustered, i.indisvalid,
              (NOT i.indimmediate) AND EXISTS (SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid = i.indrelid AND conindid = i.indexrelid AND contype IN ('p','u','x') AND condeferrable) AS condeferrable,
              (NOT i.indimmediate) AND EXISTS (SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid = i.indrelid AND conindid = i.indexrelid AND contype IN ('p','u','x') AND condeferred) AS condeferred,
            i.indisreplident,
            i.indnullsnotdistinct,
              a.amname, c2.relname, pg_catalog.pg_get_expr(i.indpred, i.indrelid, true)
            FROM pg_catalog.pg_index i, pg_catalog.pg_class c, pg_catalog.pg_class c2, pg_catalog.pg_am a
            WHERE i.indexrelid = c.oid AND c.oid = '{oid}' AND c.relam = a.oid
            AND i.indrelid = c2.oid;
            """);
        Assert.Equal("t|t|f|t|f|f|f|f|btree|t|NULL", footer);
        var columns = _db.Query($"""
            SELECT a.attname,
              pg_catalog.format_type(a.atttypid, a.atttypmod),
              CASE WHEN pg_catalog.pg_get_indexdef(a.attrelid, a.attnum, TRUE) = a.attname THEN 'yes' ELSE 'no' END AS is_key,
              pg_catalog.pg_get_indexdef(a.attrelid, a.attnum, TRUE) AS indexdef
            FROM pg_catalog.pg_attribute a
            WHERE a.attrelid = '{oid}' AND a.attnum > 0 AND NOT a.attisdropped
            ORDER BY a.attnum;
            """);
        Assert.Equal("id|integer|yes|id", columns);
    }
}
