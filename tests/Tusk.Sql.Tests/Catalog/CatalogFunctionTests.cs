using Tusk.Sql.Tests.Engine;
using Xunit;

namespace Tusk.Sql.Tests.Catalog;

/// <summary>Catalog functions and casts to catalog types, one behaviour per test.</summary>
public sealed class CatalogFunctionTests : IDisposable
{
    private readonly SqlTestDatabase _db = new();

    public CatalogFunctionTests() => _db.Run("CREATE TABLE t (id bigserial PRIMARY KEY, v varchar(10), n numeric(8,3), at timestamptz, ok boolean NOT NULL)");

    public void Dispose() => _db.Dispose();

    [Fact]
    public void RegclassOfNameIsTheRelationOid()
    {
        Assert.Equal(_db.Query("SELECT oid FROM pg_class WHERE relname = 't'"), _db.Query("SELECT 't'::regclass"));
        Assert.Equal(_db.Query("SELECT oid FROM pg_class WHERE relname = 't'"), _db.Query("SELECT 'public.t'::pg_catalog.regclass"));
        Assert.Equal("1259", _db.Query("SELECT 'pg_catalog.pg_class'::regclass"));
        Assert.Equal("42P01", _db.Error("SELECT 'missing'::regclass").SqlState);
        Assert.Equal("NULL", _db.Query("SELECT to_regclass('missing')"));
    }

    [Fact]
    public void RegclassOfOidIsTheName()
    {
        Assert.Equal("t", _db.Query("SELECT oid::regclass::text FROM pg_class WHERE relname = 't'"));
        Assert.Equal("t_pkey", _db.Query("SELECT indexrelid::regclass FROM pg_index"));
    }

    [Fact]
    public void AttributesJoinThroughRegclass()
    {
        Assert.Equal("id|bigint|t\nv|character varying(10)|f\nn|numeric(8,3)|f\nat|timestamp with time zone|f\nok|boolean|t",
            _db.Query("SELECT attname, format_type(atttypid, atttypmod), attnotnull FROM pg_attribute WHERE attrelid = 't'::regclass AND attnum > 0 ORDER BY attnum"));
    }

    [Fact]
    public void RegtypeBothWays()
    {
        Assert.Equal("23", _db.Query("SELECT 'integer'::regtype"));
        Assert.Equal("1043", _db.Query("SELECT 'pg_catalog.varchar'::pg_catalog.regtype"));
        Assert.Equal("integer", _db.Query("SELECT 23::regtype::text"));
        Assert.Equal("text[]", _db.Query("SELECT format_type(1009, NULL)"));
        Assert.Equal("2279", _db.Query("SELECT 'pg_catalog.trigger'::pg_catalog.regtype"));
    }

    [Fact]
    public void OidNameAndCharCasts()
    {
        Assert.Equal("16385", _db.Query("SELECT '16385'::oid"));
        Assert.Equal("abc", _db.Query("SELECT 'abc'::name"));
        Assert.Equal("r", _db.Query("SELECT 'rel'::\"char\""));
        Assert.Equal("public", _db.Query("SELECT 2200::regnamespace::text"));
    }

    [Fact]
    public void SerialSequence()
    {
        Assert.Equal("public.t_id_seq", _db.Query("SELECT pg_get_serial_sequence('t', 'id')"));
        Assert.Equal("NULL", _db.Query("SELECT pg_get_serial_sequence('t', 'v')"));
        Assert.Equal("t_id_seq|S", _db.Query("SELECT relname, relkind FROM pg_class WHERE relkind = 'S'"));
        Assert.Equal("t_id_seq|bigint", _db.Query("SELECT sequence_name, data_type FROM information_schema.sequences"));
    }

    [Fact]
    public void SessionFunctions()
    {
        Assert.Equal("t|t|f|UTF8", _db.Query("SELECT pg_backend_pid() > 0, has_table_privilege('t', 'SELECT'), pg_is_in_recovery(), pg_encoding_to_char(6)"));
        Assert.Equal("tusk", _db.Query("SELECT usename FROM pg_stat_activity WHERE pid = pg_backend_pid()"));
        Assert.Equal("tusk|t", _db.Query("SELECT rolname, rolsuper FROM pg_roles"));
        Assert.Equal("NULL|NULL", _db.Query("SELECT obj_description('t'::regclass, 'pg_class'), col_description('t'::regclass, 1)"));
        Assert.Equal("{pg_catalog,public}", _db.Query("SELECT current_schemas(true)"));
        Assert.Equal("UTF8", _db.Query("SELECT setting FROM pg_settings WHERE name = 'server_encoding'"));
    }

    [Fact]
    public void ArraysAsText()
    {
        Assert.Equal("{id,v}", _db.Query("SELECT array(SELECT attname FROM pg_attribute WHERE attrelid = 't'::regclass AND attnum BETWEEN 1 AND 2 ORDER BY attnum)"));
        Assert.Equal("a, b", _db.Query("SELECT array_to_string('{a,b}', ', ')"));
        Assert.Equal("t|f|NULL", _db.Query("SELECT 2 = ANY('{1,2}'), 3 = ANY('{1,2}'), 3 = ANY('{1,NULL}')"));
        Assert.Equal("b|2", _db.Query("SELECT ('{a,b}'::text[])[2], array_upper('{a,b}'::text[], 1)"));
        Assert.Equal("1", _db.Query("SELECT indkey FROM pg_index"));
    }

    [Fact]
    public void RegexOperatorSyntax()
    {
        Assert.Equal("t", _db.Query("SELECT relname FROM pg_class WHERE relname OPERATOR(pg_catalog.~) '^(t)$' COLLATE pg_catalog.default"));
    }

    [Fact]
    public void LockTableNeedsATransactionBlock()
    {
        Assert.Equal("25P01", _db.Error("LOCK TABLE t IN ACCESS EXCLUSIVE MODE").SqlState);
        _db.Run("BEGIN; LOCK TABLE t IN SHARE ROW EXCLUSIVE MODE NOWAIT; COMMIT");
        _db.Run("BEGIN");
        Assert.Equal("42P01", _db.Error("LOCK missing").SqlState);
        _db.Run("ROLLBACK");
    }

    [Fact]
    public void CatalogReflectsDdlInTheSameTransaction()
    {
        _db.Run("BEGIN; CREATE TABLE u (a int)");
        Assert.Equal("1", _db.Query("SELECT count(*) FROM pg_class WHERE relname = 'u'"));
        _db.Run("ROLLBACK");
        Assert.Equal("0", _db.Query("SELECT count(*) FROM pg_class WHERE relname = 'u'"));
    }
}
