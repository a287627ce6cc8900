namespace Tusk.Core.Encoding;

/// <summary>What <see cref="TupleReader.Read"/> found; the type codes are listed on <see cref="TupleEncoding"/>.</summary>
public enum TupleTokenType
{
    /// <summary>Nothing read yet, or the end of the key was reached.</summary>
    None,

    /// <summary>A null element.</summary>
    Null,

    /// <summary>A byte string; read it with <see cref="TupleReader.GetBytes"/>.</summary>
    Bytes,

    /// <summary>A text string; read it with <see cref="TupleReader.GetString"/>.</summary>
    String,

    /// <summary>The start of a nested tuple; its elements follow, then <see cref="EndTuple"/>.</summary>
    BeginTuple,

    /// <summary>The end of the innermost nested tuple.</summary>
    EndTuple,

    /// <summary>An integer; read it with <see cref="TupleReader.GetInt64"/>.</summary>
    Int64,

    /// <summary>A double; read it with <see cref="TupleReader.GetDouble"/>.</summary>
    Double,

    /// <summary>A boolean; read it with <see cref="TupleReader.GetBoolean"/>.</summary>
    Boolean,
}
