using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.DataProtection;

namespace Webhooks.AspNetCore.Portal.Links;

/// <summary>
/// Protects grants as access-link tokens and as session cookies, with ASP.NET Core Data Protection
/// (authenticated encryption: an altered token does not unprotect). Links and sessions have
/// purposes of their own, so a session cookie is not accepted as a link, nor a link as a cookie,
/// nor any other Data Protection payload of the app as either. The expiry is inside the payload and
/// checked on the engine's clock by the caller.
/// </summary>
internal sealed class WebhookPortalTokens
{
    public const string LinkPurpose = "Webhooks.AspNetCore.Portal.AccessLink.v1";
    public const string SessionPurpose = "Webhooks.AspNetCore.Portal.Session.v1";

    /// <summary>Longer input is refused before any work: real tokens are a few hundred characters.</summary>
    public const int MaxTokenLength = 4096;

    private const byte FormatVersion = 1;

    private readonly IDataProtector _links;
    private readonly IDataProtector _sessions;

    public WebhookPortalTokens(IDataProtectionProvider provider)
    {
        ArgumentNullException.ThrowIfNull(provider);
        _links = provider.CreateProtector(LinkPurpose);
        _sessions = provider.CreateProtector(SessionPurpose);
    }

    public string ProtectLink(WebhookPortalGrant grant) => Protect(_links, grant);

    public string ProtectSession(WebhookPortalGrant grant) => Protect(_sessions, grant);

    public WebhookPortalGrant? UnprotectLink(string? token) => Unprotect(_links, token);

    public WebhookPortalGrant? UnprotectSession(string? token) => Unprotect(_sessions, token);

    private static string Protect(IDataProtector protector, WebhookPortalGrant grant)
    {
        using var buffer = new MemoryStream();
        using (var writer = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(FormatVersion);
            writer.Write(grant.Owner);
            writer.Write(grant.ReadOnly);
            writer.Write(grant.IssuedAt.UtcTicks);
            writer.Write(grant.ExpiresAt.UtcTicks);
            writer.Write(grant.LinkId);
        }

        return Base64Url.EncodeToString(protector.Protect(buffer.ToArray()));
    }

    private static WebhookPortalGrant? Unprotect(IDataProtector protector, string? token)
    {
        if (string.IsNullOrEmpty(token) || token.Length > MaxTokenLength)
        {
            return null;
        }

        try
        {
            var bytes = protector.Unprotect(Base64Url.DecodeFromChars(token));
            using var reader = new BinaryReader(new MemoryStream(bytes), Encoding.UTF8);
            if (reader.ReadByte() != FormatVersion)
            {
                return null;
            }

            var owner = reader.ReadString();
            var readOnly = reader.ReadBoolean();
            var issued = new DateTimeOffset(reader.ReadInt64(), TimeSpan.Zero);
            var expires = new DateTimeOffset(reader.ReadInt64(), TimeSpan.Zero);
            var id = reader.ReadString();
            return owner.Length == 0 ? null : new WebhookPortalGrant(owner, readOnly, issued, expires, id);
        }
        catch (Exception ex) when (ex is CryptographicException or FormatException or EndOfStreamException or ArgumentException)
        {
            // Altered, truncated, another purpose or another key ring: all are "not a valid link".
            return null;
        }
    }
}
