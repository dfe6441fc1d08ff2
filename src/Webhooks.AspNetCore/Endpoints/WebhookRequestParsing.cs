using System.Buffers.Text;
using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace Webhooks.AspNetCore.Endpoints;

/// <summary>
/// Parses route values, query strings and headers by hand, so a bad one is answered 400 with a
/// ProblemDetails naming the parameter (the framework's own binding answers an empty 400).
/// </summary>
internal static class WebhookRequestParsing
{
    private const string SubscriptionCursorKind = "s1:";
    private const string DeliveryCursorKind = "d1:";

    /// <summary>
    /// Checks an id follows the library's id rules (<see cref="WebhookIds.IsValid"/>): the prefix, then
    /// ASCII letters, digits, <c>_</c> or <c>-</c>. An id minted elsewhere (an import) passes as long as
    /// it keeps them; a malformed one is a 400 here, not a store lookup.
    /// </summary>
    public static void RequireId(string? id, string prefix, string field)
    {
        if (!WebhookIds.IsValid(id, prefix))
        {
            throw Invalid(field, $"'{WebhookJsonBody.Printable(id)}' is not a valid id; ids look like '{prefix}' followed by letters, digits, '_' or '-' (at most {WebhookIds.MaxLength} characters in all).");
        }
    }

    /// <summary>An optional id filter in the query string.</summary>
    public static string? OptionalId(string? id, string prefix, string field)
    {
        if (id is not null)
        {
            RequireId(id, prefix, field);
        }

        return id;
    }

    public static int Limit(string? value, int defaultLimit)
    {
        if (value is null)
        {
            return defaultLimit;
        }

        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var limit) || limit is < 1 or > WebhookPaging.MaxLimit)
        {
            throw Invalid("limit", $"limit must be a whole number between 1 and {WebhookPaging.MaxLimit}.");
        }

        return limit;
    }

    public static bool? Active(string? value) => value switch
    {
        null => null,
        _ when bool.TryParse(value, out var b) => b,
        _ => throw Invalid("active", "active must be true or false."),
    };

    public static string? EventFilter(string? value) =>
        value is null || IsEventName(value)
            ? value
            : throw Invalid("event", "event must be an event type name or pattern (1 to 256 characters), such as order.created or order.*.");

    public static string? EventType(string? value) =>
        value is null || IsEventName(value)
            ? value
            : throw Invalid("eventType", "eventType must be an event type name (1 to 256 characters), such as order.created.");

    private static bool IsEventName(string value) => value.Length is > 0 and <= 256 && !value.Any(char.IsControl);

    public static WebhookDeliveryStatus? Status(string? value) => value?.ToUpperInvariant() switch
    {
        null => null,
        "PENDING" => WebhookDeliveryStatus.Pending,
        "SUCCEEDED" => WebhookDeliveryStatus.Succeeded,
        "FAILED" => WebhookDeliveryStatus.Failed,
        _ => throw Invalid("status", "status must be pending, succeeded or failed."),
    };

    /// <summary>A duration such as <c>15m</c>, <c>24h</c>, <c>7d</c> or <c>01:30:00</c>.</summary>
    public static TimeSpan Duration(string? value, TimeSpan defaultValue, string field)
    {
        if (value is null)
        {
            return defaultValue;
        }

        var v = value.Trim();
        if (v.Length >= 2 && long.TryParse(v.AsSpan(0, v.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is > 0 and <= 100_000)
        {
            switch (v[^1])
            {
                case 'm':
                    return TimeSpan.FromMinutes(n);
                case 'h':
                    return TimeSpan.FromHours(n);
                case 'd':
                    return TimeSpan.FromDays(n);
            }
        }

        if (TimeSpan.TryParseExact(v, "c", CultureInfo.InvariantCulture, out var span) && span > TimeSpan.Zero)
        {
            return span;
        }

        throw Invalid(field, $"{field} must be a duration such as 15m, 24h or 7d (or hh:mm:ss).");
    }

    public static string? EncodeSubscriptionCursor(string? storeCursor) => Encode(SubscriptionCursorKind, storeCursor);

    public static string? EncodeDeliveryCursor(string? storeCursor) => Encode(DeliveryCursorKind, storeCursor);

    public static string? DecodeSubscriptionCursor(string? cursor) => Decode(SubscriptionCursorKind, cursor);

    public static string? DecodeDeliveryCursor(string? cursor) => Decode(DeliveryCursorKind, cursor);

    /// <summary>
    /// The versions an <c>If-Match</c> header allows: <see langword="null"/> when absent or <c>*</c>;
    /// -1 when it names no version we issue (so the update fails with 412).
    /// </summary>
    public static long? IfMatch(HttpRequest request)
    {
        var header = request.Headers.IfMatch;
        if (header.Count == 0)
        {
            return null;
        }

        if (!EntityTagHeaderValue.TryParseList(header, out var tags) || tags.Count == 0)
        {
            return -1;
        }

        if (tags.Any(t => t.Equals(EntityTagHeaderValue.Any)))
        {
            return null;
        }

        // Strong comparison (RFC 9110 13.1.1): weak tags never match.
        foreach (var tag in tags)
        {
            if (!tag.IsWeak && long.TryParse(tag.Tag.AsSpan(1, tag.Tag.Length - 2), NumberStyles.None, CultureInfo.InvariantCulture, out var version))
            {
                return version;
            }
        }

        return -1;
    }

    public static string ETag(long version) => "\"" + version.ToString(CultureInfo.InvariantCulture) + "\"";

    private static string? Encode(string kind, string? storeCursor) =>
        storeCursor is null ? null : Base64Url.EncodeToString(Encoding.UTF8.GetBytes(kind + storeCursor));

    private static string? Decode(string kind, string? cursor)
    {
        if (cursor is null)
        {
            return null;
        }

        if (cursor.Length is > 0 and <= 1024)
        {
            try
            {
                var text = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(cursor));
                if (text.StartsWith(kind, StringComparison.Ordinal) && text.Length > kind.Length && !text.Any(char.IsControl))
                {
                    return text[kind.Length..];
                }
            }
            catch (FormatException)
            {
                // fall through to the 400
            }
        }

        throw Invalid("cursor", "The cursor is not valid here; pass the nextCursor of the previous page of this list unchanged, or omit it for the first page.");
    }

    private static WebhookEndpointProblemException Invalid(string field, string message) =>
        new(WebhookProblems.Validation(field, message));
}
