namespace Tusk.Protocols.Kafka;

/// <summary>
/// Array and records helpers shared by the message codecs (classic encodings only). Every array count is
/// checked against the bytes left in the frame with the element's smallest encoding, so a hostile count fails
/// before anything is allocated.
/// </summary>
internal static class MessageCodec
{
    /// <summary>Smallest STRING: its INT16 length.</summary>
    public const int StringBytesMin = 2;

    /// <summary>Smallest ARRAY: its INT32 count.</summary>
    public const int ArrayBytesMin = 4;

    /// <summary>Smallest BYTES / RECORDS: its INT32 length.</summary>
    public const int BytesBytesMin = 4;

    /// <summary>Count of a non-nullable ARRAY; a null (-1) count is a protocol error.</summary>
    public static int ReadCount(ref KafkaReader r, int elementBytesMin, string field)
    {
        int count = r.ReadArrayLength(elementBytesMin);
        if (count < 0)
        {
            throw new KafkaProtocolException($"null array where {field} must be an array");
        }
        return count;
    }

    /// <summary>Non-nullable ARRAY of INT32.</summary>
    public static List<int> ReadInt32List(ref KafkaReader r, string field)
    {
        int count = ReadCount(ref r, 4, field);
        var list = new List<int>(count);
        for (int i = 0; i < count; i++)
        {
            list.Add(r.ReadInt32());
        }
        return list;
    }

    /// <summary>Nullable ARRAY of INT32 (null for a -1 count).</summary>
    public static List<int>? ReadNullableInt32List(ref KafkaReader r)
    {
        int count = r.ReadArrayLength(4);
        if (count < 0)
        {
            return null;
        }
        var list = new List<int>(count);
        for (int i = 0; i < count; i++)
        {
            list.Add(r.ReadInt32());
        }
        return list;
    }

    /// <summary>Non-nullable ARRAY of STRING.</summary>
    public static List<string> ReadStringList(ref KafkaReader r, string field)
    {
        int count = ReadCount(ref r, StringBytesMin, field);
        var list = new List<string>(count);
        for (int i = 0; i < count; i++)
        {
            list.Add(r.ReadString());
        }
        return list;
    }

    /// <summary>Nullable ARRAY of STRING (null for a -1 count).</summary>
    public static List<string>? ReadNullableStringList(ref KafkaReader r)
    {
        int count = r.ReadArrayLength(StringBytesMin);
        if (count < 0)
        {
            return null;
        }
        var list = new List<string>(count);
        for (int i = 0; i < count; i++)
        {
            list.Add(r.ReadString());
        }
        return list;
    }

    /// <summary>ARRAY of INT32.</summary>
    public static void WriteInt32List(KafkaWriter w, List<int> list)
    {
        w.WriteArrayLength(list.Count);
        for (int i = 0; i < list.Count; i++)
        {
            w.WriteInt32(list[i]);
        }
    }

    /// <summary>Nullable ARRAY of INT32 (-1 for null).</summary>
    public static void WriteNullableInt32List(KafkaWriter w, List<int>? list)
    {
        if (list == null)
        {
            w.WriteArrayLength(-1);
        }
        else
        {
            WriteInt32List(w, list);
        }
    }

    /// <summary>ARRAY of STRING.</summary>
    public static void WriteStringList(KafkaWriter w, List<string> list)
    {
        w.WriteArrayLength(list.Count);
        for (int i = 0; i < list.Count; i++)
        {
            w.WriteString(list[i]);
        }
    }

    /// <summary>Nullable ARRAY of STRING (-1 for null).</summary>
    public static void WriteNullableStringList(KafkaWriter w, List<string>? list)
    {
        if (list == null)
        {
            w.WriteArrayLength(-1);
        }
        else
        {
            WriteStringList(w, list);
        }
    }

    /// <summary>
    /// Steps over a NULLABLE_BYTES / RECORDS field without copying it. Returns its length (-1 for null) and,
    /// in <paramref name="offset"/>, where its first byte sits in the reader's buffer (-1 for null).
    /// </summary>
    public static int SkipNullableBytes(ref KafkaReader r, out int offset)
    {
        int length = r.ReadInt32();
        if (length < 0)
        {
            offset = -1;
            return -1;
        }
        offset = r.Position;
        r.Skip(length);
        return length;
    }
}
