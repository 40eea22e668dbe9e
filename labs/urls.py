"""The labs' URLs: the instructor console under /instructor/, the trainee's panel at /lab/."""

from django.urls import path

from labs.pages import classes, signin, trainee

app_name = "labs"

urlpatterns = [
    # Instructor sign-in (not a console session: see labs/pages/session.py).
    path("instructor/signin/", signin.instructor_signin, name="instructor-signin"),
    path("instructor/signin/mfa/", signin.instructor_signin_mfa, name="instructor-signin-mfa"),
    path(
        "instructor/signin/mfa/enroll/",
        signin.instructor_signin_enroll,
        name="instructor-signin-enroll",
    ),
    path("instructor/signout/", signin.instructor_signout, name="instructor-signout"),
    # The instructor's classes. "start/" is not under "classes/": a class may be named "new".
    path("instructor/", classes.class_list, name="class-list"),
    path("instructor/start/", classes.class_start, name="class-start"),
    path("instructor/classes/<slug:name>/", classes.class_detail, name="class-detail"),
    path("instructor/classes/<slug:name>/grid/", classes.class_grid, name="class-grid"),
    path(
        "instructor/classes/<slug:name>/credentials.csv",
        classes.class_credentials,
        name="class-credentials",
    ),
    path("instructor/classes/<slug:name>/handout/", classes.class_handout, name="class-handout"),
    path("instructor/classes/<slug:name>/reset/", classes.class_reset, name="class-reset"),
    path(
        "instructor/classes/<slug:name>/seats/<str:number>/reset/",
        classes.seat_reset,
        name="seat-reset",
    ),
    path("instructor/classes/<slug:name>/end/", classes.class_end, name="class-end"),
    # (A seat number is matched as text, like every other console URL argument, and
    # parsed by the page: a number that is not one is a 404 like a missing seat.)
    # The trainee's lab panel (a console page of the seat's account).
    path("lab/", trainee.lab_panel, name="lab"),
    path("lab/check/", trainee.lab_check, name="lab-check"),
]
