using Microsoft.Extensions.DependencyInjection.Extensions;
using Webhooks.Core;
using Webhooks.Core.DependencyInjection;
using Webhooks.Signing.Ed25519;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds Standard Webhooks <c>v1a</c> (ed25519) signing.</summary>
public static class Ed25519WebhooksBuilderExtensions
{
    /// <summary>
    /// Registers the <see cref="Ed25519WebhookSignatures.Scheme"/> signer and
    /// <see cref="Ed25519WebhookPublicKeys"/>. Subscriptions choose it by scheme name. Safe to call several times.
    /// </summary>
    /// <param name="builder">The builder from <c>AddWebhooks()</c>.</param>
    /// <param name="useAsDefault">Also make it <see cref="WebhookOptions.DefaultSignatureScheme"/>, for subscriptions that name none.</param>
    /// <returns>The builder.</returns>
    public static IWebhooksBuilder AddEd25519Signing(this IWebhooksBuilder builder, bool useAsDefault = false)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddSigner<Ed25519WebhookSigner>();
        builder.Services.TryAddSingleton(sp => new Ed25519WebhookPublicKeys(
            sp.GetRequiredService<Webhooks.Core.Subscriptions.ProtectedSubscriptionStore>(),
            sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<Webhooks.Core.WebhookOptions>>(),
            sp.GetRequiredService<TimeProvider>()));
        if (useAsDefault)
        {
            builder.Services.Configure<WebhookOptions>(o => o.DefaultSignatureScheme = Ed25519WebhookSignatures.Scheme);
        }

        return builder;
    }
}
