namespace Webhooks.AspNetCore.Portal.Links;

/// <summary>What an access link, and the session it starts, grants: one owner, read-only or not, until a time.</summary>
/// <param name="Owner">The owner whose webhooks may be managed.</param>
/// <param name="ReadOnly">Whether every change is refused.</param>
/// <param name="IssuedAt">When the link was created; a revocation of the owner's links at or after it ends it.</param>
/// <param name="ExpiresAt">When the link and its session stop working.</param>
/// <param name="LinkId">A random id of the link, for logs.</param>
internal sealed record WebhookPortalGrant(string Owner, bool ReadOnly, DateTimeOffset IssuedAt, DateTimeOffset ExpiresAt, string LinkId);

/// <summary>Why a token was refused.</summary>
internal enum WebhookPortalGrantStatus
{
    Valid,

    /// <summary>Not readable: altered, truncated, from another app's key ring or another purpose.</summary>
    Invalid,
    Expired,
    Revoked,
}
