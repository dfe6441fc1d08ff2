namespace Webhooks.PostgreSql;

/// <summary>Makes any string storable in a <c>text</c> column.</summary>
internal static class PostgreSqlText
{
    /// <summary>
    /// PostgreSQL <c>text</c> refuses U+0000 and Npgsql's strict UTF-8 refuses a lone surrogate; either
    /// would make a write fail the same way on every retry (an attempt that can never be recorded).
    /// Both become U+FFFD, so the row is written and shows where a character was lost.
    /// </summary>
    public static string? Clean(string? value)
    {
        if (value is null || !NeedsCleaning(value))
        {
            return value;
        }

        return string.Create(value.Length, value, static (span, source) =>
        {
            for (int i = 0; i < source.Length; i++)
            {
                char c = source[i];
                if (c == '\0')
                {
                    c = '\uFFFD';
                }
                else if (char.IsHighSurrogate(c))
                {
                    if (i + 1 < source.Length && char.IsLowSurrogate(source[i + 1]))
                    {
                        span[i] = c;
                        span[++i] = source[i];
                        continue;
                    }

                    c = '\uFFFD';
                }
                else if (char.IsLowSurrogate(c))
                {
                    c = '\uFFFD';
                }

                span[i] = c;
            }
        });
    }

    private static bool NeedsCleaning(string value)
    {
        for (int i = 0; i < value.Length; i++)
        {
            char c = value[i];
            if (c == '\0')
            {
                return true;
            }

            if (char.IsSurrogate(c))
            {
                if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
                {
                    i++;
                    continue;
                }

                return true;
            }
        }

        return false;
    }
}
