using Webhooks.Core.Subscriptions;

namespace Webhooks.Core.Security;

/// <summary>
/// The last check before a header is written. HttpClient's <c>TryAddWithoutValidation</c> writes a
/// value containing CR/LF as it is (a second header line on the wire), so a subscription that never
/// went through <see cref="WebhookSubscriptionValidator"/> (a custom store, an edited row) must not
/// reach the socket with one.
/// </summary>
internal static class WebhookHeaderRules
{
    /// <summary>Printable ASCII and tab: what HTTP/1.1 field values may hold without encoding.</summary>
    public static bool IsSafeValue(string? value) => value is not null && value.All(c => c == '\t' || c is >= ' ' and <= '~');

    public static bool IsToken(string? name) =>
        name is { Length: > 0 and <= 128 } && name.All(c => char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c, StringComparison.Ordinal));

    /// <summary>What is wrong with a custom header about to be sent, or null. Never quotes the value.</summary>
    public static string? CheckCustomHeader(string name, string? value, WebhookOptions options)
    {
        if (!IsToken(name))
        {
            return "A custom header name is not a valid HTTP token; the subscription did not pass validation. Set its headers again through the subscription manager.";
        }

        if (WebhookSubscriptionValidator.IsReservedHeader(name, options))
        {
            return $"The custom header '{name}' is set by the library and cannot be overridden; the subscription did not pass validation. Set its headers again through the subscription manager.";
        }

        return IsSafeValue(value) ? null
            : $"The value of custom header '{name}' holds line breaks, control or non-ASCII characters; the subscription did not pass validation. Set its headers again through the subscription manager.";
    }

    /// <summary>What is wrong with the auth header about to be sent, or null. Never quotes the value.</summary>
    public static string? CheckAuthHeader(string name, string value) =>
        IsToken(name) && IsSafeValue(value) ? null
            : "The subscription's auth settings hold line breaks, control or non-ASCII characters; they did not pass validation. Set the auth again through the subscription manager.";
}
