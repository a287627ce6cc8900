using Tusk.Core.Encoding;
using Tusk.Kv;

namespace Tusk.Sql.Catalog;

/// <summary>
/// An immutable snapshot of the catalog at one version: schemas, tables, views and indexes. Loaded from keys under
/// ("c", ...) in the reading transaction, so DDL is transactional (RFC 20261121_sql_on_kv §1).
/// </summary>
public sealed class Catalog
{
    /// <summary>OIDs of user relations start here (PostgreSQL's FirstNormalObjectId).</summary>
    public const int OidBase = 16384;

    /// <summary>OIDs of user schemas: OidBase/2 + id, below the relations.</summary>
    public const int SchemaOidBase = 8192;

    public static readonly byte[] VersionKey = TupleEncoding.Pack("c", "v");
    public static readonly byte[] NextIdKey = TupleEncoding.Pack("c", "id");
    internal static readonly byte[] RelationPrefix = TupleEncoding.Pack("c", "rel");
    internal static readonly byte[] SchemaPrefix = TupleEncoding.Pack("c", "ns");

    private readonly Dictionary<(string Schema, string Name), TableDescriptor> _byName = [];
    private readonly Dictionary<int, TableDescriptor> _byId = [];
    private readonly Dictionary<(string Schema, string Name), (TableDescriptor Table, IndexDescriptor Index)> _indexes = [];

    public Catalog(long version, IReadOnlyDictionary<string, int> schemas, IEnumerable<TableDescriptor> relations)
    {
        Version = version;
        Schemas = schemas;
        foreach (var t in relations)
        {
            _byName[(t.Schema, t.Name)] = t;
            _byId[t.Id] = t;
            foreach (var i in t.Indexes) _indexes[(t.Schema, i.Name)] = (t, i);
        }
    }

    public long Version { get; }

    /// <summary>Schema name → id ("public" is 0 and always present; pg_catalog and information_schema are virtual).</summary>
    public IReadOnlyDictionary<string, int> Schemas { get; }

    public IEnumerable<TableDescriptor> Relations => _byId.Values;

    public TableDescriptor? Find(string schema, string name) => _byName.GetValueOrDefault((schema, name));

    public TableDescriptor? FindById(int id) => _byId.GetValueOrDefault(id);

    public (TableDescriptor Table, IndexDescriptor Index)? FindIndex(string schema, string name) =>
        _indexes.TryGetValue((schema, name), out var r) ? r : null;

    /// <summary>True when a table, view, index or constraint-backed index of the schema has the name.</summary>
    public bool NameTaken(string schema, string name) => _byName.ContainsKey((schema, name)) || _indexes.ContainsKey((schema, name));

    public static byte[] RelationKey(int id) => TupleEncoding.Pack("c", "rel", id);

    public static byte[] SchemaKey(string name) => TupleEncoding.Pack("c", "ns", name);

    /// <summary>Reads the catalog version (an unversioned database is version 0).</summary>
    public static long ReadVersion(IKvTransaction tx)
    {
        var v = tx.Get(VersionKey);
        return v is null ? 0 : (long)TupleEncoding.Unpack(v)[0]!;
    }

    /// <summary>Loads every descriptor visible to <paramref name="tx"/>.</summary>
    public static Catalog Load(IKvTransaction tx, long version)
    {
        var schemas = new Dictionary<string, int> { ["public"] = 0 };
        foreach (var pair in tx.Scan(SchemaPrefix, TupleEncoding.Strinc(SchemaPrefix)))
        {
            var key = TupleEncoding.Unpack(pair.Key);
            schemas[(string)key[2]!] = (int)(long)TupleEncoding.Unpack(pair.Value)[0]!;
        }
        var relations = new List<TableDescriptor>();
        foreach (var pair in tx.Scan(RelationPrefix, TupleEncoding.Strinc(RelationPrefix)))
        {
            relations.Add(TableDescriptor.Deserialize(pair.Value));
        }
        return new Catalog(version, schemas, relations);
    }

    /// <summary>Allocates a relation or schema id in <paramref name="tx"/> (transactional: DDL is rare).</summary>
    public static int AllocateId(IKvTransaction tx)
    {
        var v = tx.Get(NextIdKey);
        var id = v is null ? 1 : (int)(long)TupleEncoding.Unpack(v)[0]!;
        tx.Put(NextIdKey, TupleEncoding.Pack((long)id + 1));
        return id;
    }

    /// <summary>Marks the catalog changed by <paramref name="tx"/>: bumps the version other transactions check.</summary>
    public static void BumpVersion(IKvTransaction tx)
    {
        var version = ReadVersion(tx);
        tx.Put(VersionKey, TupleEncoding.Pack(version + 1));
    }
}
