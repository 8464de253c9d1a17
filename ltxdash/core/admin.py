"""The admin site's names, and the database leases (for engineers: who holds which worker lock)."""

from django.contrib import admin

from ltxdash.core.models import Lease

# templates/admin/base_site.html shows these with the product's mark and links back to the
# dashboard (Create, Gallery), so Django's "View site" link is left out.
admin.site.site_header = "ltxdash admin"
admin.site.site_title = "ltxdash admin"
admin.site.index_title = "Clips, share links and the dispatcher"
admin.site.site_url = None


@admin.register(Lease)
class LeaseAdmin(admin.ModelAdmin):
    list_display = ["name", "holder", "renewed_at", "expires_at"]
    readonly_fields = ["name", "holder", "renewed_at", "expires_at"]
