using System.Text.Json;
using System.Text.Json.Serialization;
using Tusk.Sql.Types;

namespace Tusk.Sql.Catalog;

/// <summary>A column of a table, as stored in its descriptor. <see cref="Id"/> never changes and is never reused.</summary>
public sealed class ColumnDescriptor
{
    public int Id { get; set; }
    public string Name { get; set; } = "";
    public SqlTypeId TypeId { get; set; }
    public int Length { get; set; } = -1;
    public int Precision { get; set; } = -1;
    public int Scale { get; set; } = -1;
    public bool NotNull { get; set; }

    /// <summary>The DEFAULT expression as SQL text, or null.</summary>
    public string? Default { get; set; }

    /// <summary>serial / GENERATED ... AS IDENTITY: the sequence that supplies the default.</summary>
    public string? Sequence { get; set; }

    /// <summary>GENERATED ALWAYS AS IDENTITY (an explicit value is an error unless OVERRIDING SYSTEM VALUE).</summary>
    public bool IdentityAlways { get; set; }

    /// <summary>The hidden rowid of a table without a primary key.</summary>
    public bool Hidden { get; set; }

    [JsonIgnore]
    public SqlType Type => new(TypeId, Length, Precision, Scale);

    public static ColumnDescriptor Create(int id, string name, SqlType type) =>
        new() { Id = id, Name = name, TypeId = type.Id, Length = type.Length, Precision = type.Precision, Scale = type.Scale };

    public ColumnDescriptor Clone() => (ColumnDescriptor)MemberwiseClone();
}

/// <summary>A secondary index. Keys: (table, index id, indexed values..., [primary key values if not unique]).</summary>
public sealed class IndexDescriptor
{
    public int Id { get; set; }
    public string Name { get; set; } = "";
    public int[] ColumnIds { get; set; } = [];
    public bool[] Descending { get; set; } = [];
    public bool Unique { get; set; }

    /// <summary>The index backs a UNIQUE constraint (named in pg_constraint) rather than CREATE UNIQUE INDEX.</summary>
    public bool IsConstraint { get; set; }

    public IndexDescriptor Clone() => new() { Id = Id, Name = Name, ColumnIds = [.. ColumnIds], Descending = [.. Descending], Unique = Unique, IsConstraint = IsConstraint };
}

public sealed class CheckDescriptor
{
    public string Name { get; set; } = "";
    public string Expression { get; set; } = "";
}

/// <summary>
/// A FOREIGN KEY of the table that holds it (the referencing table): its columns must match a row of the referenced
/// table's primary key or unique index (<see cref="ReferencedColumnIds"/>, in the same order) unless one is NULL
/// (MATCH SIMPLE). Actions are "no action", "restrict", "cascade", "set null" or "set default".
/// </summary>
public sealed class ForeignKeyDescriptor
{
    public string Name { get; set; } = "";
    public int[] ColumnIds { get; set; } = [];
    public int ReferencedTableId { get; set; }
    public int[] ReferencedColumnIds { get; set; } = [];
    public string OnDelete { get; set; } = "no action";
    public string OnUpdate { get; set; } = "no action";

    public ForeignKeyDescriptor Clone() => new()
    {
        Name = Name, ColumnIds = [.. ColumnIds], ReferencedTableId = ReferencedTableId, ReferencedColumnIds = [.. ReferencedColumnIds],
        OnDelete = OnDelete, OnUpdate = OnUpdate,
    };
}

public enum RelationKind : byte
{
    Table,
    View,
    Sequence,
}

/// <summary>
/// A table or view: what the binder resolves names to. Stored as JSON under ("c", "rel", id); its version grows with
/// every change, and the catalog version key makes concurrent transactions see DDL consistently.
/// </summary>
public sealed class TableDescriptor
{
    public const int PrimaryIndexId = 1;

    public int Id { get; set; }
    public string Schema { get; set; } = "public";
    public string Name { get; set; } = "";
    public RelationKind Kind { get; set; }
    public List<ColumnDescriptor> Columns { get; set; } = [];

    /// <summary>Column ids of the primary key, in key order (the hidden rowid when none was declared).</summary>
    public int[] PrimaryKey { get; set; } = [];

    /// <summary>The name of the primary key constraint (e.g. t_pkey), or null for the hidden rowid.</summary>
    public string? PrimaryKeyName { get; set; }

    public List<IndexDescriptor> Indexes { get; set; } = [];
    public List<CheckDescriptor> Checks { get; set; } = [];

    /// <summary>The table's FOREIGN KEY constraints (the keys it references; those referencing it live on the other tables).</summary>
    public List<ForeignKeyDescriptor> ForeignKeys { get; set; } = [];

    /// <summary>For views: the defining query's text.</summary>
    public string? ViewQuery { get; set; }

    public int NextColumnId { get; set; } = 1;
    public int NextIndexId { get; set; } = 2;
    public long Version { get; set; }

    /// <summary>The columns a SELECT * shows (not the hidden rowid).</summary>
    [JsonIgnore]
    public IEnumerable<ColumnDescriptor> VisibleColumns => Columns.Where(c => !c.Hidden);

    public ColumnDescriptor? FindColumn(string name) => Columns.Find(c => !c.Hidden && c.Name == name);

    public int ColumnIndex(int columnId) => Columns.FindIndex(c => c.Id == columnId);

    /// <summary>The PostgreSQL-visible OID of the relation (pg_class.oid).</summary>
    [JsonIgnore]
    public int Oid => Catalog.OidBase + Id;

    public TableDescriptor Clone()
    {
        var t = (TableDescriptor)MemberwiseClone();
        t.Columns = Columns.ConvertAll(c => c.Clone());
        t.PrimaryKey = [.. PrimaryKey];
        t.Indexes = Indexes.ConvertAll(i => i.Clone());
        t.Checks = Checks.ConvertAll(c => new CheckDescriptor { Name = c.Name, Expression = c.Expression });
        t.ForeignKeys = ForeignKeys.ConvertAll(f => f.Clone());
        return t;
    }

    private static readonly JsonSerializerOptions Json = new() { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    public byte[] Serialize() => JsonSerializer.SerializeToUtf8Bytes(this, Json);

    public static TableDescriptor Deserialize(ReadOnlySpan<byte> bytes) =>
        JsonSerializer.Deserialize<TableDescriptor>(bytes, Json) ?? throw new InvalidDataException("empty table descriptor");
}
