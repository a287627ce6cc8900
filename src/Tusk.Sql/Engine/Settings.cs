namespace Tusk.Sql;

/// <summary>
/// A session's run-time parameters (SET / SHOW / RESET, current_setting). Unknown names are accepted when they
/// look like an extension's (contain a dot), as PostgreSQL does; others are 42704.
/// </summary>
public sealed class Settings
{
    /// <summary>Parameters reported to the client with ParameterStatus at startup and whenever they change.</summary>
    public static readonly string[] Reported =
    [
        "server_version", "server_encoding", "client_encoding", "application_name", "DateStyle", "IntervalStyle", "TimeZone",
        "integer_datetimes", "standard_conforming_strings", "is_superuser", "session_authorization", "default_transaction_read_only",
        "in_hot_standby",
    ];

    /// <summary>Every parameter with a built-in default (pg_settings lists them).</summary>
    internal static IEnumerable<string> KnownNames => Defaults.Keys;

    private static readonly Dictionary<string, string> Defaults = new(StringComparer.OrdinalIgnoreCase)
    {
        ["server_version"] = SqlEngine.ServerVersion,
        ["server_version_num"] = "160000",
        ["server_encoding"] = "UTF8",
        ["client_encoding"] = "UTF8",
        ["application_name"] = "",
        ["DateStyle"] = "ISO, MDY",
        ["IntervalStyle"] = "postgres",
        ["TimeZone"] = "UTC",
        ["integer_datetimes"] = "on",
        ["standard_conforming_strings"] = "on",
        ["is_superuser"] = "on",
        ["session_authorization"] = "tusk",
        ["default_transaction_read_only"] = "off",
        ["in_hot_standby"] = "off",
        ["default_transaction_isolation"] = "serializable",
        ["transaction_isolation"] = "serializable",
        ["transaction_read_only"] = "off",
        ["search_path"] = "\"$user\", public",
        ["statement_timeout"] = "0",
        ["lock_timeout"] = "0",
        ["idle_in_transaction_session_timeout"] = "0",
        ["extra_float_digits"] = "1",
        ["client_min_messages"] = "notice",
        ["max_identifier_length"] = "63",
        ["lc_messages"] = "C",
        ["lc_monetary"] = "C",
        ["lc_numeric"] = "C",
        ["lc_time"] = "C",
        ["lc_collate"] = "C",
        ["lc_ctype"] = "C",
        ["synchronous_commit"] = "on",
        ["bytea_output"] = "hex",
        ["escape_string_warning"] = "on",
        ["backslash_quote"] = "safe_encoding",
        ["row_security"] = "on",
        ["max_connections"] = "100",
        ["block_size"] = "8192",
        ["enable_seqscan"] = "on",
        ["enable_nestloop"] = "on",
        ["enable_hashjoin"] = "on",
        ["join_collapse_limit"] = "8",
        ["jit"] = "off",
        ["timezone_abbreviations"] = "Default",
        ["datestyle"] = "ISO, MDY",
        ["work_mem"] = "4MB",
        ["maintenance_work_mem"] = "64MB",
        ["search_path_user"] = "",
    };

    private readonly Dictionary<string, string> _values = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Counts SET and RESET calls: a plan bound under another version may depend on a changed setting.</summary>
    public int Version { get; private set; }
    private readonly List<KeyValuePair<string, string>> _changed = [];

    /// <summary>The value SHOW prints; 42704 for an unknown parameter.</summary>
    public string Show(string name)
    {
        if (_values.TryGetValue(name, out var v)) return v;
        if (Defaults.TryGetValue(name, out var d)) return d;
        if (name.Contains('.')) return "";
        throw new SqlException("42704", $"unrecognized configuration parameter \"{name}\"");
    }

    public string? Get(string name) => _values.TryGetValue(name, out var v) ? v : Defaults.GetValueOrDefault(name);

    /// <summary>Sets a parameter (SET name = value); returns the value as stored.</summary>
    public string Set(string name, string value, SqlSession? session = null)
    {
        if (name.Equals("datestyle", StringComparison.OrdinalIgnoreCase)) name = "DateStyle";
        if (name.Equals("timezone", StringComparison.OrdinalIgnoreCase)) name = "TimeZone";
        if (!Defaults.ContainsKey(name) && !name.Contains('.'))
        {
            throw new SqlException("42704", $"unrecognized configuration parameter \"{name}\"");
        }
        if (name is "server_version" or "server_encoding" or "integer_datetimes" or "server_version_num" or "max_identifier_length" or "block_size" or "lc_collate" or "lc_ctype" or "max_connections")
        {
            throw new SqlException("55P02", $"parameter \"{name}\" cannot be changed");
        }
        value = Normalize(name, value);
        _values[name] = value;
        Version++;
        foreach (var r in Reported)
        {
            if (r.Equals(name, StringComparison.OrdinalIgnoreCase)) _changed.Add(new(r, value));
        }
        return value;
    }

    public void Reset(string name)
    {
        if (name.Equals("all", StringComparison.OrdinalIgnoreCase))
        {
            foreach (var key in _values.Keys.ToList()) Reset(key);
            return;
        }
        _values.Remove(name);
        Version++;
        foreach (var r in Reported)
        {
            if (r.Equals(name, StringComparison.OrdinalIgnoreCase)) _changed.Add(new(r, Show(r)));
        }
    }

    private static string Normalize(string name, string value)
    {
        switch (name.ToLowerInvariant())
        {
            case "client_encoding":
                var enc = value.Replace("-", "", StringComparison.Ordinal).ToUpperInvariant();
                if (enc is not ("UTF8" or "UNICODE" or "SQL_ASCII")) throw new SqlException("22023", $"invalid value for parameter \"client_encoding\": \"{value}\"");
                return "UTF8";
            case "timezone":
                if (value.Equals("utc", StringComparison.OrdinalIgnoreCase) || value is "Etc/UTC" or "GMT" or "Z" or "00:00" or "+00" or "0" or "UTC0") return value.Equals("utc", StringComparison.OrdinalIgnoreCase) ? "UTC" : value;
                if (TimeZoneInfo.TryFindSystemTimeZoneById(value, out _)) return value;
                throw new SqlException("22023", $"invalid value for parameter \"TimeZone\": \"{value}\"");
            case "default_transaction_isolation" or "transaction_isolation":
                var level = value.ToLowerInvariant();
                if (level is not ("serializable" or "repeatable read" or "read committed" or "read uncommitted"))
                {
                    throw new SqlException("22023", $"invalid value for parameter \"{name}\": \"{value}\"");
                }
                return level;
            case "enable_nestloop" or "enable_hashjoin" or "enable_seqscan":
                return value.Trim().ToLowerInvariant() switch
                {
                    "on" or "true" or "yes" or "1" or "t" or "y" => "on",
                    "off" or "false" or "no" or "0" or "f" or "n" => "off",
                    _ => throw new SqlException("22023", $"parameter \"{name}\" requires a Boolean value"),
                };
            case "lock_timeout":
                SqlSession.ParseLockTimeout(value);   // rejects what PostgreSQL rejects
                return value.Trim();
            case "join_collapse_limit":
                if (!int.TryParse(value.Trim(), System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var limit) || limit < 1)
                {
                    throw new SqlException("22023", $"invalid value for parameter \"{name}\": \"{value}\"");
                }
                return limit.ToString(System.Globalization.CultureInfo.InvariantCulture);
            default:
                return value;
        }
    }

    /// <summary>The session time zone for timestamptz conversions.</summary>
    public TimeZoneInfo TimeZone
    {
        get
        {
            var name = Show("TimeZone");
            if (name is "UTC" or "Etc/UTC" or "GMT" or "Z" or "00:00" or "+00" or "0" or "UTC0") return TimeZoneInfo.Utc;
            return TimeZoneInfo.TryFindSystemTimeZoneById(name, out var tz) ? tz : TimeZoneInfo.Utc;
        }
    }

    internal IReadOnlyList<KeyValuePair<string, string>> TakeChanged()
    {
        var r = _changed.ToList();
        _changed.Clear();
        return r;
    }
}
