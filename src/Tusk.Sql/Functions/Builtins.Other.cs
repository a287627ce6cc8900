using System.Security.Cryptography;

namespace Tusk.Sql.Functions;

public static partial class Builtins
{
    /// <summary>What version() reports; clients parse the leading "PostgreSQL NN.N".</summary>
    public const string VersionText = "PostgreSQL 16.0 (Tusk)";

    private static void RegisterOther()
    {
        AddTo(_functions, new ScalarFunction("gen_random_uuid", [], Uuid, (_, _) => NewRandomUuid(), strict: true, isVariadic: false, isVolatile: true));
        Add("version", Text, [], _ => VersionText);
    }

    /// <summary>A version 4 UUID from the OS's cryptographic RNG (not Guid.NewGuid: banned in core projects).</summary>
    private static Guid NewRandomUuid()
    {
        Span<byte> bytes = stackalloc byte[16];
        RandomNumberGenerator.Fill(bytes);
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x40);  // version 4
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);  // RFC 4122 variant
        return new Guid(bytes, bigEndian: true);
    }
}
