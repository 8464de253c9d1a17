from django.contrib import admin

from ltxdash.core.models import Lease


@admin.register(Lease)
class LeaseAdmin(admin.ModelAdmin):
    list_display = ["name", "holder", "renewed_at", "expires_at"]
    readonly_fields = ["name", "holder", "renewed_at", "expires_at"]
