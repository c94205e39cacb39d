"""Clips: a signed-in viewer cuts 5 to 60 s of a past broadcast, or the last 30 s of a live
stream, into an MP4 of its own with its own page (/clips/<slug>/), listed on the channel
(/<username>/clips/). services.py makes and deletes them (cutting.py runs ffmpeg),
selectors.py decides who sees what, views.py has the pages and forms, api.py the JSON API."""
