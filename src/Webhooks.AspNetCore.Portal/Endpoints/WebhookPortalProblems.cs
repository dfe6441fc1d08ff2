using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Webhooks.AspNetCore.Portal.Endpoints;

/// <summary>
/// The portal's ProblemDetails answers. Each carries a <c>code</c> the page shows its own words for
/// (<c>link-invalid</c>, <c>link-expired</c>, <c>link-revoked</c>, <c>read-only</c>, <c>antiforgery</c>, ...).
/// </summary>
internal static class WebhookPortalProblems
{
    public static ProblemHttpResult Problem(int status, string code, string title, string detail) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: title, extensions: new Dictionary<string, object?>(StringComparer.Ordinal) { ["code"] = code });

    public static ProblemHttpResult LinkInvalid() => Problem(
        StatusCodes.Status400BadRequest,
        "link-invalid",
        "This link is not valid.",
        "It may have been copied incompletely or changed, or it was made for another site. Ask for a new link.");

    public static ProblemHttpResult LinkExpired() => Problem(
        StatusCodes.Status410Gone,
        "link-expired",
        "This link has expired.",
        "Access links work for a limited time. Ask for a new link.");

    public static ProblemHttpResult LinkRevoked() => Problem(
        StatusCodes.Status410Gone,
        "link-revoked",
        "This link was revoked.",
        "It no longer opens the portal. Ask for a new link.");

    public static ProblemHttpResult ReadOnly() => Problem(
        StatusCodes.Status403Forbidden,
        "read-only",
        "This access link is read-only.",
        "You can look at these webhooks but not change them. Ask for a link that allows changes.");

    public static ProblemHttpResult Antiforgery() => Problem(
        StatusCodes.Status400BadRequest,
        "antiforgery",
        "The request could not be verified.",
        "The page's anti-forgery token is missing or no longer valid. Reload the page and try again.");

    public static ProblemHttpResult SessionEnded(string detail) => Problem(
        StatusCodes.Status401Unauthorized,
        "session-ended",
        "Your access link session has ended.",
        detail);
}
