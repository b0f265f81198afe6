from django.urls import path

from portal.organizations import views

app_name = "organizations"
urlpatterns = [
    path("organizations/", views.organization_list, name="list"),
    path("organizations/new/", views.organization_create_view, name="create"),
    path("organizations/<int:organization_id>/", views.organization_detail, name="detail"),
    path("organizations/<int:organization_id>/header/", views.organization_header, name="header"),
    path("organizations/<int:organization_id>/activity/", views.organization_activity, name="activity"),
    path("organizations/<int:organization_id>/edit/", views.organization_edit, name="edit"),
    path("organizations/<int:organization_id>/delete/", views.organization_delete_view, name="delete"),
    path("organizations/<int:organization_id>/members/add/", views.member_add_view, name="member_add"),
    path(
        "organizations/<int:organization_id>/members/<int:user_id>/remove/",
        views.member_remove_view,
        name="member_remove",
    ),
    path(
        "organizations/<int:organization_id>/members/<int:user_id>/manager/grant/",
        views.delegate_grant_view,
        name="delegate_grant",
    ),
    path(
        "organizations/<int:organization_id>/members/<int:user_id>/manager/revoke/",
        views.delegate_revoke_view,
        name="delegate_revoke",
    ),
]
